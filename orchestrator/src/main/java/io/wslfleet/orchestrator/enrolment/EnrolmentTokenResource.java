package io.wslfleet.orchestrator.enrolment;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.wslfleet.orchestrator.api.ApiProblem;
import io.wslfleet.orchestrator.api.Operator;
import io.wslfleet.orchestrator.api.Problem.FieldError;
import io.wslfleet.orchestrator.audit.AuditLog;
import io.wslfleet.orchestrator.security.FleetRoles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Enrolment tokens, for admins only: made with a lifetime, a number of uses and what they grant; listed; revoked. */
@Path("/api/v1/enrolment-tokens")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(FleetRoles.ADMIN)
public class EnrolmentTokenResource {
    static final Duration MAX_LIFETIME = Duration.ofDays(366);
    static final int MAX_USES = 100_000;
    static final int MAX_LABELS = 32;

    @Inject
    EnrolmentTokens tokens;
    @Inject
    AuditLog audit;
    @Inject
    Operator operator;
    @Inject
    Clock clock;

    /**
     * @param expiresIn an ISO-8601 duration ({@code PT24H}, {@code P7D}); or give {@code expiresAt}
     * @param maxUses   how many machines it may admit (default 1)
     * @param ring      the ring it puts the machines it admits in
     * @param labels    labels it sets on them
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record CreateTokenRequest(String expiresIn, Instant expiresAt, Integer maxUses, String ring,
                                     Map<String, String> labels) {
    }

    /** A token as listed: never its secret. {@code token} (id and secret) only in the answer to its creation. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TokenView(String id, String token, String state, Instant expiresAt, int maxUses, int uses,
                            String ring, Map<String, String> labels, String createdBy, Instant createdAt,
                            Instant revokedAt) {
        static TokenView of(EnrolmentToken t, String text, Instant now) {
            String unusable = t.unusableAt(now);
            String state = t.revokedAt != null ? "REVOKED" : unusable == null ? "ACTIVE"
                    : t.uses >= t.maxUses ? "USED_UP" : "EXPIRED";
            return new TokenView(t.id, text, state, t.expiresAt, t.maxUses, t.uses, t.ring,
                    EnrolmentTokens.labelsOf(t), t.createdBy, t.createdAt, t.revokedAt);
        }
    }

    @POST
    @Transactional
    public Response create(@NotNull CreateTokenRequest request) {
        Instant now = clock.instant();
        List<FieldError> errors = new ArrayList<>();
        Instant expiresAt = expiry(request, now, errors);
        int maxUses = request.maxUses() == null ? 1 : request.maxUses();
        if (maxUses < 1 || maxUses > MAX_USES) {
            errors.add(new FieldError("maxUses", "must be 1 to " + MAX_USES));
        }
        if (request.ring() != null && (request.ring().isBlank() || request.ring().length() > 63)) {
            errors.add(new FieldError("ring", "must be 1 to 63 characters"));
        }
        Map<String, String> labels = request.labels() == null ? Map.of() : request.labels();
        if (labels.size() > MAX_LABELS) {
            errors.add(new FieldError("labels", "at most " + MAX_LABELS + " labels"));
        }
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (label.getKey().isBlank() || label.getKey().length() > 63 || label.getValue() == null
                    || label.getValue().length() > 256) {
                errors.add(new FieldError("labels", "a label is a key of 1 to 63 characters and a value of at most "
                        + "256"));
                break;
            }
        }
        if (labels.containsKey("ring")) {
            errors.add(new FieldError("labels", "give the ring as ring, not as a label"));
        }
        if (!errors.isEmpty()) {
            throw ApiProblem.invalidFields(errors);
        }
        EnrolmentTokens.Made made = tokens.make(expiresAt, maxUses, request.ring(), labels, operator.name());
        TokenView view = TokenView.of(made.token(), made.text(), now);
        audit.record(operator.name(), "ENROLMENT_TOKEN_CREATED", "enrolment-token", made.token().id, null,
                "expires " + expiresAt + ", " + maxUses + " uses, ring " + request.ring() + ", labels " + labels);
        return Response.status(201).entity(view).build();
    }

    private static Instant expiry(CreateTokenRequest request, Instant now, List<FieldError> errors) {
        if ((request.expiresIn() == null) == (request.expiresAt() == null)) {
            errors.add(new FieldError("expiresIn", "give exactly one of expiresIn (an ISO-8601 duration such as "
                    + "PT24H) and expiresAt"));
            return null;
        }
        Instant at;
        if (request.expiresIn() != null) {
            try {
                at = now.plus(Duration.parse(request.expiresIn()));
            } catch (DateTimeParseException | ArithmeticException e) {
                errors.add(new FieldError("expiresIn", "is not an ISO-8601 duration such as PT24H or P7D"));
                return null;
            }
        } else {
            at = request.expiresAt();
        }
        if (!at.isAfter(now) || at.isAfter(now.plus(MAX_LIFETIME))) {
            errors.add(new FieldError(request.expiresIn() != null ? "expiresIn" : "expiresAt",
                    "the token must expire after now and within " + MAX_LIFETIME.toDays() + " days"));
        }
        return at;
    }

    @GET
    public List<TokenView> list() {
        Instant now = clock.instant();
        return EnrolmentToken.<EnrolmentToken>list("order by createdAt desc").stream()
                .map(t -> TokenView.of(t, null, now)).toList();
    }

    @POST
    @Path("{id}/revoke")
    @Transactional
    public TokenView revoke(@PathParam("id") String id) {
        EnrolmentToken t = EnrolmentToken.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (t == null) {
            throw ApiProblem.notFound("enrolment token", id);
        }
        Instant now = clock.instant();
        if (t.revokedAt == null) {
            t.revokedAt = now;
            audit.record(operator.name(), "ENROLMENT_TOKEN_REVOKED", "enrolment-token", t.id, null,
                    "used " + t.uses + " of " + t.maxUses);
        }
        return TokenView.of(t, null, now);
    }
}
