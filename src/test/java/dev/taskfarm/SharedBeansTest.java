package dev.taskfarm;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SharedBeansTest {

    @Test
    void taskfarmsMetersGoToTheRegistryCamelServes() {
        Registry registry = new DefaultCamelContext().getRegistry();
        PrometheusMeterRegistry camels = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.bind("metricsRegistry", camels);
        assertThat(SharedBeans.prometheus(registry)).isSameAs(camels);
    }

    @Test
    void withMetricsOffOneIsBoundUnderTheNameCamelLooksUp() {
        Registry registry = new DefaultCamelContext().getRegistry();
        PrometheusMeterRegistry own = SharedBeans.prometheus(registry);
        assertThat(registry.lookupByNameAndType("metricsRegistry", PrometheusMeterRegistry.class)).isSameAs(own);
    }
}
