package io.wslfleet.orchestrator.dashboard;

import io.wslfleet.orchestrator.security.FleetRoles;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
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

    /** Type-safe: a template that names a value its method does not pass fails the build. */
    @CheckedTemplate(basePath = "dashboard", defaultName = CheckedTemplate.HYPHENATED_ELEMENT_NAME)
    static class Templates {
        static native TemplateInstance rolloutNew(boolean canOperate);

        static native TemplateInstance builds(boolean canOperate);

        static native TemplateInstance enrolment(boolean canOperate, boolean isAdmin);
    }

    @Inject
    SecurityIdentity identity;

    @GET
    @Path("ui/rollouts/new")
    public TemplateInstance newRollout() {
        return page(Templates.rolloutNew(canOperate()), "new-rollout");
    }

    @GET
    @Path("ui/builds")
    public TemplateInstance builds() {
        return page(Templates.builds(canOperate()), "builds");
    }

    @GET
    @Path("ui/enrolment")
    public TemplateInstance enrolment() {
        return page(Templates.enrolment(canOperate(), identity.hasRole(FleetRoles.ADMIN)), "enrolment");
    }

    private boolean canOperate() {
        return identity.hasRole(FleetRoles.OPERATOR);
    }

    /** What base.html reads of every page (as DashboardResource's pages give it). */
    private TemplateInstance page(TemplateInstance page, String section) {
        return page.data("section", section).data("user", identity.getPrincipal().getName())
                .data("canOperate", canOperate());
    }
}
