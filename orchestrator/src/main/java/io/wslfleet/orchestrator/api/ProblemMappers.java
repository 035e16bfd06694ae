package io.wslfleet.orchestrator.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.List;

/** Every API error as problem details, never a stack trace. */
public class ProblemMappers {
    @Context
    UriInfo uri;

    @ServerExceptionMapper
    public Response apiProblem(ApiProblem e) {
        return respond(new Problem("about:blank", e.title(), e.status(), e.getMessage(), path(), null));
    }

    @ServerExceptionMapper
    public Response invalidArgument(IllegalArgumentException e) {
        return respond(new Problem("about:blank", "Invalid request", 400, e.getMessage(), path(), null));
    }

    @ServerExceptionMapper
    public Response unreadableJson(JsonProcessingException e) {
        return respond(new Problem("about:blank", "Invalid request", 400,
                "the body is not the JSON this endpoint takes: " + e.getOriginalMessage(), path(), null));
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
        return respond(new Problem("about:blank", e.getResponse().getStatusInfo().getReasonPhrase(), status,
                e.getMessage(), path(), null));
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
