package dev.taskfarm.routes;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;

import dev.taskfarm.amqp.AmqpComponent;

/**
 * A Camel context for a route test: the project's route files as they are, the properties of
 * application.properties plus the test's, no broker. AMQP consumers are replaced by direct
 * endpoints ({@link AdviceWith#adviceWith}) and every {@code taskfarm-amqp} send goes to a mock.
 */
final class RouteFiles {

    private RouteFiles() {
    }

    static CamelContext context(Map<String, String> properties) {
        DefaultCamelContext context = new DefaultCamelContext();
        context.getPropertiesComponent().setLocation("classpath:application.properties");
        Properties p = new Properties();
        p.putAll(properties);
        context.getPropertiesComponent().setOverrideProperties(p);
        // present so the endpoints resolve; never connects (every send is mocked, no consumer starts)
        context.getRegistry().bind("taskfarm-amqp", new AmqpComponent());
        return context;
    }

    static void load(CamelContext context, String... files) throws Exception {
        for (String f : files) {
            PluginHelper.getRoutesLoader(context).loadRoutes(PluginHelper.getResourceLoader(context)
                    .resolveResource("file:" + Path.of("routes").resolve(f)));
        }
    }

    /** The route now starts from {@code direct:<name>}, and its taskfarm-amqp sends are mocked. */
    static void fromDirect(CamelContext context, String routeId, String name) throws Exception {
        AdviceWith.adviceWith(context, routeId, a -> {
            a.replaceFromWith("direct:" + name);
            a.mockEndpointsAndSkip("taskfarm-amqp:*");
        });
    }

    /** The mock that stands for the taskfarm-amqp endpoint of this queue. */
    static MockEndpoint mockOf(CamelContext context, String queue) {
        return findMock(context, queue).orElseThrow(() -> new AssertionError("no mock for " + queue + " in "
                + context.getEndpoints()));
    }

    /** The mock of a queue's endpoint, once a toD has created it. */
    static java.util.Optional<MockEndpoint> findMock(CamelContext context, String queue) {
        return context.getEndpoints().stream().filter(e -> e instanceof MockEndpoint)
                .map(MockEndpoint.class::cast).filter(m -> m.getEndpointUri().contains("taskfarm-amqp") && m.getEndpointUri()
                        .contains(queue)).findFirst();
    }
}
