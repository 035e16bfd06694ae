package io.wslfleet.orchestrator.api;

/** An error the API answers as RFC 9457 problem details. */
public class ApiProblem extends RuntimeException {
    private final int status;
    private final String title;

    public ApiProblem(int status, String title, String detail) {
        super(detail);
        this.status = status;
        this.title = title;
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
