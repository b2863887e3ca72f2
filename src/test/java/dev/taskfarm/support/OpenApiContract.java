package dev.taskfarm.support;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;

/**
 * The job API's OpenAPI document read with the swagger parser, and a small checker of JSON bodies
 * against its schemas: types, required and nullable fields, enums, oneOf/anyOf, and (so that the
 * document describes everything a client gets) no fields a schema does not declare.
 */
public final class OpenApiContract {

    private final OpenAPI api;
    private final List<String> messages;

    private OpenApiContract(SwaggerParseResult parsed) {
        this.api = parsed.getOpenAPI();
        this.messages = parsed.getMessages() == null ? List.of() : parsed.getMessages();
    }

    public static OpenApiContract parse(String document) {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        return new OpenApiContract(new OpenAPIV3Parser().readContents(document, null, options));
    }

    public OpenAPI api() {
        return api;
    }

    /** What the parser found wrong with the document. */
    public List<String> messages() {
        return messages;
    }

    public Operation operation(String path, String method) {
        PathItem item = api.getPaths().get(path);
        if (item == null) {
            throw new AssertionError("no path " + path + " in the document");
        }
        Operation op = item.readOperationsMap().get(PathItem.HttpMethod.valueOf(method.toUpperCase()));
        if (op == null) {
            throw new AssertionError("no " + method + " " + path + " in the document");
        }
        return op;
    }

    /** Problems of a response body against the schema the document gives for it. */
    public List<String> responseProblems(String path, String method, int status, String contentType, JsonNode body) {
        ApiResponse response = operation(path, method).getResponses().get(String.valueOf(status));
        if (response == null) {
            return List.of(method + " " + path + " does not document status " + status);
        }
        return bodyProblems(response.getContent() == null ? null : response.getContent().get(contentType), body,
                method + " " + path + " " + status);
    }

    /** Problems of a real JSON response against the document. */
    public List<String> responseProblems(String path, String method, java.net.http.HttpResponse<String> r) {
        try {
            return responseProblems(path, method, r.statusCode(), "application/json", Http.parse(r.body()));
        } catch (java.io.IOException e) {
            return List.of(method + " " + path + " " + r.statusCode() + " answered no JSON: " + r.body());
        }
    }

    /** Problems of a request body against the document's request schema. */
    public List<String> requestProblems(String path, String method, String contentType, JsonNode body) {
        var rb = operation(path, method).getRequestBody();
        return bodyProblems(rb == null || rb.getContent() == null ? null : rb.getContent().get(contentType), body,
                method + " " + path + " request");
    }

    private List<String> bodyProblems(MediaType media, JsonNode body, String what) {
        if (media == null || media.getSchema() == null) {
            return List.of(what + " has no schema");
        }
        List<String> problems = new ArrayList<>();
        check(body, media.getSchema(), "$", problems);
        return problems.stream().map(p -> what + ": " + p).toList();
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private void check(JsonNode node, Schema schema, String where, List<String> problems) {
        schema = resolve(schema);
        if (node.isNull()) {
            if (!Boolean.TRUE.equals(schema.getNullable())) {
                problems.add(where + " is null but not nullable");
            }
            return;
        }
        List<Schema> alternatives = schema.getOneOf() != null ? schema.getOneOf() : schema.getAnyOf();
        if (alternatives != null) {
            // swagger-core gives composed schemas a "type: object" of their own: the alternatives decide
            for (Schema alternative : alternatives) {
                List<String> p = new ArrayList<>();
                check(node, alternative, where, p);
                if (p.isEmpty()) {
                    return;
                }
            }
            problems.add(where + " matches none of " + alternatives.size() + " alternatives: " + node);
            return;
        }
        String type = schema.getType();
        if (type != null && !typeMatches(node, type)) {
            problems.add(where + " should be " + type + ": " + abbreviate(node));
            return;
        }
        if (schema.getEnum() != null && !schema.getEnum().isEmpty()
                && schema.getEnum().stream().noneMatch(e -> String.valueOf(e).equals(node.asText()))) {
            problems.add(where + " = " + node + " is not one of " + schema.getEnum());
        }
        if (node.isArray() && schema.getItems() != null) {
            for (int i = 0; i < node.size(); i++) {
                check(node.get(i), schema.getItems(), where + "[" + i + "]", problems);
            }
        }
        if (node.isObject()) {
            Map<String, Schema> properties = schema.getProperties() == null ? Map.of() : schema.getProperties();
            List<String> required = schema.getRequired() == null ? List.of() : schema.getRequired();
            for (String r : required) {
                if (!node.has(r)) {
                    problems.add(where + " lacks required field " + r);
                }
            }
            boolean open = Boolean.TRUE.equals(schema.getAdditionalProperties()) || schema.getAdditionalProperties() instanceof Schema;
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                Schema p = properties.get(f);
                if (p != null) {
                    check(node.get(f), p, where + "." + f, problems);
                } else if (!open) {
                    problems.add(where + " has field " + f + " that the schema does not declare");
                }
            }
        }
    }

    @SuppressWarnings("rawtypes")
    private Schema resolve(Schema schema) {
        while (schema.get$ref() != null) {
            String name = schema.get$ref().substring(schema.get$ref().lastIndexOf('/') + 1);
            schema = api.getComponents().getSchemas().get(name);
            if (schema == null) {
                throw new AssertionError("unresolved $ref " + name);
            }
        }
        return schema;
    }

    private static boolean typeMatches(JsonNode node, String type) {
        return switch (type) {
            case "object" -> node.isObject();
            case "array" -> node.isArray();
            case "string" -> node.isTextual();
            case "integer" -> node.isIntegralNumber();
            case "number" -> node.isNumber();
            case "boolean" -> node.isBoolean();
            default -> true;
        };
    }

    private static String abbreviate(JsonNode node) {
        String s = node.toString();
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
