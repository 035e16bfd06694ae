package io.wslfleet.orchestrator.release;

import io.wslfleet.orchestrator.api.ApiProblem;
import io.wslfleet.orchestrator.api.Page;
import jakarta.inject.Inject;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.time.Instant;

@Path("/api/v1/releases")
@Produces(MediaType.APPLICATION_JSON)
public class ReleaseResource {
    @Inject
    ReleaseListings listings;

    public record ReleaseView(String id, String buildId, String version, String sha256, long sizeBytes,
                              String downloadUrl, String keyId, boolean signed, String nixosVersion, String hostName,
                              String systemPath, int generation, String nixosWslVersion, long uncompressedBytes,
                              long entryCount, Instant publishedAt) {
        static ReleaseView of(Release r) {
            return new ReleaseView(r.id, r.buildId, r.version, r.sha256, r.sizeBytes, r.downloadUrl, r.keyId,
                    r.signature != null && !r.signature.isBlank(), r.nixosVersion, r.hostName, r.systemPath,
                    r.generation, r.nixosWslVersion, r.uncompressedBytes, r.entryCount, r.publishedAt);
        }
    }

    @GET
    public Page<ReleaseView> list(@QueryParam("page") @DefaultValue("0") @Min(0) int page,
                                  @QueryParam("size") @DefaultValue("50") @Min(1) @Max(500) int size) {
        return listings.releases(page, size);
    }

    @GET
    @Path("{id}")
    public ReleaseView get(@PathParam("id") String id) {
        Release r = Release.findById(id);
        if (r == null) {
            throw ApiProblem.notFound("release", id);
        }
        return ReleaseView.of(r);
    }
}
