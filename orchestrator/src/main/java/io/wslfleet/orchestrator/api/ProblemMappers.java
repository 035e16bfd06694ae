package io.wslfleet.orchestrator.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.List;
import java.util.UUID;

/** Every API error as problem details, never a stack trace. */
public class ProblemMappers {
    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);
    @Context
    UriInfo uri;

    @ServerExceptionMapper
    public Response apiProblem(ApiProblem e) {
        return respond(new Problem("about:blank", e.title(), e.status(), e.getMessage(), path(), e.errors()));
    }

    /** A failure of ours, not of the request: logged with an id the answer gives, so the two can be matched. */
    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        String id = UUID.randomUUID().toString().substring(0, 8);
        LOG.errorf(e, "error %s answering %s", id, path());
        return respond(new Problem("about:blank", "Internal error", 500, "the orchestrator failed to answer (error "
                + id + " in its log)", path(), null));
    }

    @ServerExceptionMapper
    public Response invalidArgument(IllegalArgumentException e) {
        return respond(new Problem("about:blank", "Invalid request", 400, e.getMessage(), path(), null));
    }

    @ServerExceptionMapper
    public Response mismatchedInput(MismatchedInputException e) {
        return unreadableJson(e);
    }

    @ServerExceptionMapper
    public Response valueInstantiation(ValueInstantiationException e) {
        return unreadableJson(e);
    }

    @ServerExceptionMapper
    public Response unreadableJson(JsonProcessingException e) {
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            return respond(new Problem("about:blank", "Invalid request", 400, "the request has invalid fields",
                    path(), List.of(new Problem.FieldError(jsonPath(mapping), whatIsWrong(mapping)))));
        }
        return respond(new Problem("about:blank", "Invalid request", 400,
                "the body is not the JSON this endpoint takes: " + firstLine(e.getOriginalMessage()), path(), null));
    }

    /** {@code waves[1].percent}: the field as the client wrote it. */
    private static String jsonPath(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /** What is wrong with the value, and what the field takes: a number, one of an enum's values, an object. */
    private static String whatIsWrong(JsonMappingException e) {
        if (e instanceof ValueInstantiationException) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return String.valueOf(cause.getMessage());
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            Class<?> type = mismatch.getTargetType();
            String value = e instanceof InvalidFormatException invalid ? " '" + invalid.getValue() + "'" : "";
            if (type.isEnum()) {
                return "the value" + value + " is not one of " + java.util.Arrays.stream(type.getEnumConstants())
                        .map(String::valueOf).collect(java.util.stream.Collectors.joining(", "));
            }
            return "the value" + value + " is not " + describe(type);
        }
        return firstLine(e.getOriginalMessage());
    }

    private static String describe(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (java.util.Map.class.isAssignableFrom(type)) {
            return "an object of names to values";
        }
        if (java.util.Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        return "an object (" + type.getSimpleName() + ")";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    @ServerExceptionMapper
    public Response constraintViolation(ConstraintViolationException e) {
        List<Problem.FieldError> errors = e.getConstraintViolations().stream()
                .map(v -> new Problem.FieldError(field(v.getPropertyPath().toString()), v.getMessage()))
                .sorted(java.util.Comparator.comparing(Problem.FieldError::field))
                .toList();
        return respond(new Problem("about:blank", "Invalid request", 400, "the request has invalid fields", path(),
                errors));
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (e.getCause() instanceof JsonProcessingException json) {
            return unreadableJson(json);
        }
        if (e instanceof jakarta.ws.rs.NotFoundException && isConversionFailure(e.getCause())) {
            // JAX-RS answers a query parameter it cannot convert with 404; the resource exists, the request is bad
            return respond(new Problem("about:blank", "Invalid request", 400, "a query parameter has a value of "
                    + "the wrong type: " + firstLine(String.valueOf(e.getCause().getMessage())), path(), null));
        }
        return respond(new Problem("about:blank", e.getResponse().getStatusInfo().getReasonPhrase(), status,
                e.getMessage(), path(), null));
    }

    private static boolean isConversionFailure(Throwable cause) {
        return cause instanceof IllegalArgumentException || cause instanceof jakarta.ws.rs.ProcessingException;
    }

    /** {@code create.request.name} → {@code name}: the client knows its own field, not our method. */
    private static String field(String path) {
        String[] parts = path.split("\\.");
        return parts.length > 2 ? String.join(".", java.util.Arrays.copyOfRange(parts, 2, parts.length)) : path;
    }

    private String path() {
        return uri == null ? null : uri.getPath();
    }

    private static Response respond(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }
}
