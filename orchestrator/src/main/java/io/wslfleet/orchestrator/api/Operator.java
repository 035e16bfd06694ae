package io.wslfleet.orchestrator.api;

import jakarta.enterprise.context.RequestScoped;

/** Who is acting in this request, for the audit log. */
@RequestScoped
public class Operator {
    public String name() {
        return "anonymous";
    }
}
