package dev.taskfarm.api;

import java.io.InputStream;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Serves the jobs web page: a fixed set of files from the classpath folder {@code ui/} (plain HTML,
 * CSS and JavaScript, no build step). Only these names are served, so no request path can reach
 * any other file.
 */
public class WebPage {

    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "jobs.js", "text/javascript; charset=utf-8",
            "jobs.css", "text/css; charset=utf-8");

    public void serve(Exchange exchange) {
        Message m = exchange.getMessage();
        String path = m.getHeader(Exchange.HTTP_PATH, "", String.class);
        String name = path.replaceFirst("^/?ui/?", "");
        if (name.isEmpty()) {
            name = "index.html";
        }
        String type = FILES.get(name);
        InputStream in = type == null ? null : WebPage.class.getResourceAsStream("/ui/" + name);
        if (in == null) {
            JobApi.respond(exchange, 404, JobApi.errorBody(404, "no page " + path), JobApi.JSON);
            return;
        }
        JobApi.respond(exchange, 200, in, type);
        m.setHeader("Cache-Control", "no-cache");
    }

    /** The site root sends browsers to the jobs page. */
    public void redirect(Exchange exchange) {
        JobApi.respond(exchange, 302, "", "text/plain");
        exchange.getMessage().setHeader("Location", "/ui/");
    }
}
