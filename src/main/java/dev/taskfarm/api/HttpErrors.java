package dev.taskfarm.api;

import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the HTTP server's own refusals JSON like the API's: an unknown path (404), a method the path
 * does not have (405), a body type an endpoint does not consume (415) or a response type it cannot
 * produce (406) answer {@code {"error": "...", "status": n}} instead of Vert.x's HTML.
 */
public class HttpErrors implements StartupListener {

    private static final Logger LOG = LoggerFactory.getLogger(HttpErrors.class);

    static final Map<Integer, String> MESSAGES = Map.of(
            404, "no such resource; the API is under /jobs, the jobs page under /ui/",
            405, "this method is not allowed here",
            406, "cannot produce a response of the type asked for in Accept",
            413, "the request body is too large",
            415, "unsupported Content-Type: a job body is application/json or application/x-ndjson",
            500, "internal error; see the coordinator log");

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        // the platform-http router exists once the context has started its services
    }

    @Override
    public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
        for (VertxPlatformHttpRouter router : context.getRegistry().findByType(VertxPlatformHttpRouter.class)) {
            Router root = rootRouter(router.getServer());
            for (Router r : root == null ? List.<Router>of(router) : List.of(router, root)) {
                MESSAGES.forEach((status, message) -> r.errorHandler(status, ctx -> respond(ctx, status, message)));
            }
        }
    }

    /**
     * The server's top router: a request no route matches is answered there, not by the
     * sub-router Camel registers its routes on. Camel does not expose it, so it is read from the
     * server's field; should a Camel upgrade rename it, only the JSON form of these few errors is
     * lost (a warning says so), nothing else.
     */
    private static Router rootRouter(VertxPlatformHttpServer server) {
        try {
            Field f = VertxPlatformHttpServer.class.getDeclaredField("router");
            f.setAccessible(true);
            return (Router) f.get(server);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("Cannot reach the HTTP server's router ({}): unknown paths answer Vert.x's own error pages", e.toString());
            return null;
        }
    }

    private static void respond(RoutingContext ctx, int status, String message) {
        if (ctx.response().ended()) {
            return;
        }
        String detail = status == 404 || status == 405 ? message + " (" + ctx.request().method() + " "
                + ctx.normalizedPath() + ")" : message;
        ctx.response().setStatusCode(status).putHeader("Content-Type", HttpMessages.JSON)
                .end(HttpMessages.errorBody(status, detail));
    }
}
