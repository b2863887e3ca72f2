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
            HttpMessages.respond(exchange, 404, HttpMessages.errorBody(404, "no page " + path), HttpMessages.JSON);
            return;
        }
        Object body = in;
        if ("index.html".equals(name)) {
            body = withInitialJobs(exchange, in);
        }
        HttpMessages.respond(exchange, 200, body, type);
        m.setHeader("Cache-Control", "no-cache");
    }

    /**
     * The page with the first job list inside (a JSON script element the script reads), so the
     * first paint shows jobs, not a placeholder. Without the job API (a worker) the page is as is.
     */
    static String withInitialJobs(Exchange exchange, InputStream page) {
        try (InputStream in = page) {
            String html = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            JobApi api = exchange.getContext().getRegistry().lookupByNameAndType("jobApi", JobApi.class);
            if (api == null) {
                return html;
            }
            // inside <script> only "</" and "<!--" could end or confuse the element
            String json = api.listJson(INITIAL_JOBS).replace("</", "<\\/").replace("<!--", "<\\u0021--");
            return html.replace("<!--initial-data-->", "<script type=\"application/json\" id=\"initial-jobs\">" + json
                    + "</script>");
        } catch (java.io.IOException | java.sql.SQLException e) {
            throw new IllegalStateException("cannot render the jobs page: " + e.getMessage(), e);
        }
    }

    /** As many jobs as the page asks for itself. */
    static final int INITIAL_JOBS = 100;

    /** The site root sends browsers to the jobs page. */
    public void redirect(Exchange exchange) {
        HttpMessages.respond(exchange, 302, "", "text/plain");
        exchange.getMessage().setHeader("Location", "/ui/");
    }
}
