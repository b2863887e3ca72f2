package dev.taskfarm.durable;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Route tests of routes/coordinator/21-redrive.camel.yaml and 63-announce-cancels.camel.yaml: the
 * YAML files as shipped, their beans replaced by plain objects, the publishing and broadcast
 * endpoints by mocks.
 */
class DurableRoutesTest extends CamelTestSupport {

    /** Stands in for the jobRedrive bean: two stalled jobs, of which "gone" can no longer be prepared. */
    public static class Redrives {
        public final List<String> calls = new ArrayList<>();

        public void renewLeases() {
            calls.add("renew");
        }

        public List<String> stalledJobs() {
            return List.of("gone", "stalled");
        }

        public void prepare(Exchange e) {
            String id = e.getMessage().getBody(String.class);
            if (id.equals("gone")) {
                throw new IllegalStateException("job gone is no longer running");
            }
            e.getMessage().setHeader("TaskfarmJobId", id);
        }

        public void redriven(Exchange e) {
            calls.add("redriven " + e.getMessage().getHeader("TaskfarmJobId"));
        }
    }

    /** Stands in for the jobDispatcher bean: records the rewinds. */
    public static class Dispatcher {
        public final List<String> rewound = new java.util.concurrent.CopyOnWriteArrayList<>();

        public void rewind(Exchange e) {
            rewound.add(e.getMessage().getHeader("TaskfarmJobId", String.class));
        }
    }

    /** Stands in for the cancelAnnouncer bean. */
    public static class Cancels {
        public List<String> recentCancels() {
            return List.of("c1", "c2");
        }
    }

    final Redrives redrives = new Redrives();
    final Dispatcher dispatcher = new Dispatcher();

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = new Properties();
        p.put("taskfarm.redrive.enabled", "true");
        p.put("taskfarm.redrive.interval-ms", "50");
        p.put("taskfarm.cancel.announce-interval-ms", "50");
        return p;
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        context.getRegistry().bind("jobRedrive", redrives);
        context.getRegistry().bind("jobDispatcher", dispatcher);
        context.getRegistry().bind("cancelAnnouncer", new Cancels());
        return context;
    }

    @Override
    protected RouteBuilder[] createRouteBuilders() {
        return new RouteBuilder[] {new RouteBuilder() {
            @Override
            public void configure() throws Exception {
                from("seda:dispatch?size=1&discardWhenFull=true").to("mock:dispatch");
                from("direct:broadcast-cancel").to("mock:broadcast");
                for (String file : new String[] {"21-redrive", "63-announce-cancels"}) {
                    PluginHelper.getRoutesLoader(getContext()).loadRoutes(ResourceHelper.resolveResource(getContext(),
                            "file:routes/coordinator/" + file + ".camel.yaml"));
                }
            }
        }};
    }

    @Test
    void theRedriveRewindsEachStalledJobsDispatchAndWakesTheDispatchAndSurvivesAFailingOne() throws Exception {
        MockEndpoint dispatch = getMockEndpoint("mock:dispatch");
        dispatch.expectedMinimumMessageCount(2);
        dispatch.assertIsSatisfied();
        org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(redrives.calls).contains("redriven stalled"));
        assertThat(dispatcher.rewound).contains("stalled").doesNotContain("gone");
        assertThat(redrives.calls).contains("renew", "redriven stalled").doesNotContain("redriven gone");
        assertThat(redrives.calls.indexOf("renew")).isLessThan(redrives.calls.indexOf("redriven stalled"));
    }

    @Test
    void recentCancelsAreBroadcastAgainOnEveryTick() throws Exception {
        MockEndpoint broadcast = getMockEndpoint("mock:broadcast");
        broadcast.expectedMinimumMessageCount(4);
        broadcast.assertIsSatisfied();
        List<Object> ids = broadcast.getReceivedExchanges().stream()
                .map(e -> e.getMessage().getHeader("TaskfarmJobId")).toList();
        assertThat(ids.subList(0, 4)).containsExactly("c1", "c2", "c1", "c2");
    }
}
