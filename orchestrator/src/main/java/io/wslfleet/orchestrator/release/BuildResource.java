package io.wslfleet.orchestrator.release;

import io.wslfleet.orchestrator.api.ApiProblem;
import io.wslfleet.orchestrator.api.Operator;
import io.wslfleet.orchestrator.api.Page;
import io.wslfleet.protocol.events.BuildRequested;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import java.time.Instant;

@Path("/api/v1/builds")
@Produces(MediaType.APPLICATION_JSON)
public class BuildResource {
    @Inject
    ReleaseCatalog catalog;
    @Inject
    Operator operator;
    @Inject
    ReleaseListings listings;

    public record BuildRequest(@NotBlank String version, @NotNull BuildRequested.Source source,
                               BuildRequested.Customization customization) {
    }

    public record BuildView(String id, String version, String sourceKind, String sourceLocation, Build.State state,
                            String step, long bytesDone, long bytesTotal, String failureReason,
                            String failureDetail, String releaseId, String requestedBy, Instant createdAt,
                            Instant updatedAt) {
        static BuildView of(Build b) {
            return new BuildView(b.id, b.version, b.sourceKind, b.sourceLocation, b.state, b.step, b.bytesDone,
                    b.bytesTotal, b.failureReason, b.failureDetail, b.releaseId, b.requestedBy, b.createdAt,
                    b.updatedAt);
        }
    }

    /** Asks a build worker for a release; answered 202 with the build to watch. */
    @POST
    public Response request(@Valid @NotNull BuildRequest request, @Context UriInfo uri) {
        Build b = catalog.requestBuild(request.version(), request.source(), request.customization(), operator.name());
        return Response.accepted(BuildView.of(b))
                .location(uri.getAbsolutePathBuilder().path(b.id).build()).build();
    }

    @GET
    public Page<BuildView> list(@QueryParam("page") @DefaultValue("0") @Min(0) int page,
                                @QueryParam("size") @DefaultValue("50") @Min(1) @Max(500) int size) {
        return listings.builds(page, size);
    }

    @GET
    @Path("{id}")
    public BuildView get(@PathParam("id") String id) {
        Build b = Build.findById(id);
        if (b == null) {
            throw ApiProblem.notFound("build", id);
        }
        return BuildView.of(b);
    }
}
