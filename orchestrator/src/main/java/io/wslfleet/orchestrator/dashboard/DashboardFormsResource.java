package io.wslfleet.orchestrator.dashboard;

import io.wslfleet.orchestrator.security.FleetRoles;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import io.wslfleet.orchestrator.security.FleetUsers;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * The dashboard's pages that change the fleet: a new rollout, builds, enrolment. Each page is a form and lists that
 * its script ({@code /ui/forms/*.js}) fills from the REST API and sends to it as JSON, so the page holds no data of
 * its own and the API's checks and problem details are the form's. A viewer sees the lists without the forms.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML)
public class DashboardFormsResource {

    @Inject
    @Location("dashboard/rollout-new.html")
    Template rolloutForm;
    @Inject
    @Location("dashboard/builds.html")
    Template builds;
    @Inject
    @Location("dashboard/enrolment.html")
    Template enrolment;

    @Inject
    SecurityIdentity identity;

    @GET
    @Path("ui/rollouts/new")
    public TemplateInstance newRollout() {
        return page(rolloutForm, "new-rollout");
    }

    @GET
    @Path("ui/builds")
    public TemplateInstance builds() {
        return page(builds, "builds");
    }

    @GET
    @Path("ui/enrolment")
    public TemplateInstance enrolment() {
        return page(enrolment, "enrolment");
    }

    private TemplateInstance page(Template template, String section) {
        return template.data("section", section)
                .data("user", identity.getPrincipal().getName())
                .data("canOperate", identity.hasRole(FleetRoles.OPERATOR))
                .data("isAdmin", identity.hasRole(FleetRoles.ADMIN));
    }
}
