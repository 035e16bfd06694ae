package io.wslfleet.orchestrator.api;

/** An error the API answers as RFC 9457 problem details. */
public class ApiProblem extends RuntimeException {
    private final int status;
    private final String title;
    private final java.util.List<Problem.FieldError> errors;

    public ApiProblem(int status, String title, String detail) {
        this(status, title, detail, null);
    }

    public ApiProblem(int status, String title, String detail, java.util.List<Problem.FieldError> errors) {
        super(detail);
        this.status = status;
        this.title = title;
        this.errors = errors == null ? null : java.util.List.copyOf(errors);
    }

    /** A request refused for these fields, each with what is wrong and what is allowed. */
    public static ApiProblem invalidFields(java.util.List<Problem.FieldError> errors) {
        return new ApiProblem(400, "Invalid request", "the request has invalid fields", errors);
    }

    public java.util.List<Problem.FieldError> errors() {
        return errors;
    }

    public static ApiProblem notFound(String what, Object id) {
        return new ApiProblem(404, "Not found", what + " " + id + " does not exist");
    }

    public static ApiProblem conflict(String detail) {
        return new ApiProblem(409, "Conflict", detail);
    }

    public static ApiProblem invalid(String detail) {
        return new ApiProblem(400, "Invalid request", detail);
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }
}
