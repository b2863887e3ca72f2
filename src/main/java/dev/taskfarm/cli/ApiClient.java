package dev.taskfarm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The job API as the CLI uses it (java.net.http, no other dependency). */
public final class ApiClient {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final HttpClient http;

    public ApiClient(String baseUrl) {
        String url = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.base = URI.create(url);
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    public URI base() {
        return base;
    }

    /**
     * POST /jobs with the file's content; NDJSON for .ndjson/.jsonl files, else JSON. No timeout:
     * the server answers once the job is accepted and kept, after reading (and checking) all of it,
     * which takes a while for a big job.
     */
    public JsonNode submit(Path file, String id) throws IOException, InterruptedException, CliException {
        return submit(file, id, null);
    }

    /** {@link #submit(Path, String)} with the job's priority ({@code ?priority=}, null for the default). */
    public JsonNode submit(Path file, String id, Integer priority) throws IOException, InterruptedException, CliException {
        String name = file.getFileName().toString().toLowerCase();
        String type = name.endsWith(".ndjson") || name.endsWith(".jsonl") ? "application/x-ndjson" : "application/json";
        StringBuilder q = new StringBuilder();
        if (id != null) {
            q.append("?id=").append(URLEncoder.encode(id, StandardCharsets.UTF_8));
        }
        if (priority != null) {
            q.append(q.length() == 0 ? '?' : '&').append("priority=").append(priority);
        }
        String query = q.toString();
        HttpRequest request = HttpRequest.newBuilder(uri("/jobs" + query)).header("Content-Type", type)
                .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofFile(file)).build();
        return json(send(request), 202);
    }

    public JsonNode job(String id) throws IOException, InterruptedException, CliException {
        return json(send(get("/jobs/" + path(id)).build()), 200);
    }

    /** Whether a job with this id exists (GET /jobs/{id} answers 200 rather than 404). */
    public boolean exists(String id) throws IOException, InterruptedException, CliException {
        HttpResponse<String> r = send(get("/jobs/" + path(id)).build());
        if (r.statusCode() == 404) {
            return false;
        }
        json(r, 200);
        return true;
    }

    public JsonNode jobs(int limit) throws IOException, InterruptedException, CliException {
        return json(send(get("/jobs?limit=" + limit).build()), 200);
    }

    public JsonNode cancel(String id) throws IOException, InterruptedException, CliException {
        return json(send(HttpRequest.newBuilder(uri("/jobs/" + path(id))).timeout(TIMEOUT).DELETE().build()), 200);
    }

    /** The results (JSON document or NDJSON, optionally only one status) as a stream; close it. */
    public InputStream results(String id, boolean ndjson, String only)
            throws IOException, InterruptedException, CliException {
        String query = "?format=" + (ndjson ? "ndjson" : "json") + (only == null ? "" : "&status=" + path(only));
        HttpResponse<InputStream> r = http.send(get("/jobs/" + path(id) + "/results" + query).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            try (InputStream in = r.body()) {
                throw new CliException(error(r.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            }
        }
        return r.body();
    }

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(uri(path)).timeout(TIMEOUT).header("Accept", "application/json").GET();
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot connect to taskfarm at " + base + " (is it running? set --url or TASKFARM_URL)", e);
        }
    }

    private static JsonNode json(HttpResponse<String> r, int expected) throws CliException, IOException {
        if (r.statusCode() != expected) {
            throw new CliException(error(r.statusCode(), r.body()));
        }
        return MAPPER.readTree(r.body());
    }

    /** The server's JSON error message, or the raw body when it is not one. */
    private static String error(int status, String body) {
        try {
            JsonNode e = MAPPER.readTree(body);
            if (e != null && e.hasNonNull("error")) {
                return "HTTP " + status + ": " + e.get("error").asText();
            }
        } catch (IOException ignored) {
            // not JSON: shown as it is
        }
        return "HTTP " + status + (body == null || body.isBlank() ? "" : ": " + body.strip());
    }

    private URI uri(String path) {
        return URI.create(base + path);
    }

    private static String path(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The server refused a request; the message says why. */
    public static final class CliException extends Exception {
        public CliException(String message) {
            super(message);
        }
    }
}
