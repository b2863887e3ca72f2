package dev.taskfarm.api;

import java.util.Collection;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Reading a REST request's parameters and writing its response, for the API's beans: parameters
 * are single-valued and checked, unknown query parameters are refused, and every response replaces
 * all headers with its own, so nothing a client sent (headers, query parameters) is echoed back.
 */
final class HttpMessages {

    static final String JSON = "application/json";
    static final String NDJSON = "application/x-ndjson";

    private HttpMessages() {
    }

    /** {@code {"error": message, "status": status}} */
    public static String errorBody(int status, String message) {
        return JsonNodeFactory.instance.objectNode().put("error", message).put("status", status).toString();
    }

    /** A client's value, safe to put in a message: at most 120 characters, no control characters. */
    static String shown(String value) {
        String s = value == null ? "" : value.length() > 120 ? value.substring(0, 120) + "..." : value;
        return s.replaceAll("\\p{Cntrl}", "?");
    }

    /**
     * Refuses query parameters the endpoint does not take (a misspelt {@code ?limt=} would else be
     * ignored silently). Query parameters and HTTP headers are both message headers in Camel, so
     * the names come from the raw query string.
     */
    static void onlyQueryParameters(Message m, String endpoint, String... allowed) throws ApiException {
        String query = m.getHeader(Exchange.HTTP_QUERY, String.class);
        if (query == null || query.isEmpty()) {
            return;
        }
        List<String> known = List.of(allowed);
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            try {
                name = java.net.URLDecoder.decode(name, java.nio.charset.StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                // shown as sent
            }
            if (!name.isEmpty() && !known.contains(name)) {
                throw ApiException.badRequest(dev.taskfarm.job.Suggest.unknown("query parameter", name, known) + " ("
                        + endpoint + (known.isEmpty() ? " takes none)" : " takes " + String.join(", ", known) + ")"));
            }
        }
    }

    /** A single-valued request parameter; the same one given twice is refused. */
    static String param(Message m, String name) throws ApiException {
        Object v = m.getHeader(name);
        if (v instanceof Collection<?> c) {
            throw ApiException.badRequest("parameter " + name + " was given " + c.size() + " times");
        }
        return v == null ? null : v.toString();
    }

    static int intParam(Message m, String name, int dflt, int min, int max) throws ApiException {
        String v = param(m, name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiException.badRequest(name + " must be a whole number from " + min + " to " + max);
    }

    /** The media type of a Content-Type header, lower case, without parameters. */
    static String mediaType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return null;
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    /** Replaces every header with the response's own. */
    static void respond(Exchange exchange, int status, Object body, String contentType) {
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        m.setHeader(Exchange.CONTENT_TYPE, contentType);
        m.setBody(body);
    }
}
