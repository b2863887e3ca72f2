/**
 * The shapes of the job API's request and response bodies, for its OpenAPI document only: the
 * REST DSL names these classes ({@code type}, {@code outType}, {@code responseModel}) and Camel's
 * OpenAPI generator turns them into schemas. The API itself writes JSON with Jackson's tree and
 * streaming APIs; {@code OpenApiIT} checks that what it writes matches these schemas.
 */
package dev.taskfarm.api.schema;
