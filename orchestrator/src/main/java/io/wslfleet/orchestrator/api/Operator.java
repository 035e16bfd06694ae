package io.wslfleet.orchestrator.api;

import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;

/** Who is acting in this request, for the audit log: the authenticated user. */
@RequestScoped
public class Operator {
    @Inject
    SecurityIdentity identity;

    public String name() {
        return identity == null || identity.isAnonymous() ? "anonymous" : identity.getPrincipal().getName();
    }
}
