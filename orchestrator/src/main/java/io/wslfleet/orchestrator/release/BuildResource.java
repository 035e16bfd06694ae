package io.wslfleet.orchestrator.release;

import io.wslfleet.orchestrator.api.ApiProblem;
import io.wslfleet.orchestrator.api.Operator;
import io.wslfleet.orchestrator.api.Page;
import io.wslfleet.orchestrator.api.Problem.FieldError;
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
import java.util.ArrayList;
import java.util.List;

@Path("/api/v1/builds")
@Produces(MediaType.APPLICATION_JSON)
public class BuildResource {
    @Inject
    ReleaseCatalog catalog;
    @Inject
    Operator operator;
    @Inject
    ReleaseListings listings;

    /** Where official NixOS-WSL releases are published; {@code upstreamVersion} names one of them. */
    static final String UPSTREAM_RELEASES = "https://github.com/nix-community/NixOS-WSL/releases/download/";
    private static final java.util.regex.Pattern UPSTREAM_VERSION = java.util.regex.Pattern.compile("\\d{4}\\.\\d{1,3}\\.\\d{1,3}");
    private static final java.util.regex.Pattern WSL_CONF_KEY = java.util.regex.Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_.-]+");

    /**
     * @param version         the version of the release to publish
     * @param source          where the system comes from; or give {@code upstreamVersion}
     * @param upstreamVersion an official NixOS-WSL release by its version ({@code 2505.7.0}): its {@code nixos.wsl}
     *                        (before 2411, {@code nixos-wsl.tar.gz}) on GitHub, checked against its {@code .sha256}
     * @param customization   company changes to the archive, or null
     */
    public record BuildRequest(@NotBlank String version, BuildRequested.Source source, String upstreamVersion,
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
        List<FieldError> errors = check(request);
        if (!errors.isEmpty()) {
            throw ApiProblem.invalidFields(errors);
        }
        Build b = catalog.requestBuild(request.version(), source(request), request.customization(), operator.name());
        return Response.accepted(BuildView.of(b))
                .location(uri.getAbsolutePathBuilder().path(b.id).build()).build();
    }

    /** The source as asked, or the official release {@code upstreamVersion} names. */
    static BuildRequested.Source source(BuildRequest request) {
        if (request.source() != null) {
            return request.source();
        }
        String v = request.upstreamVersion();
        String file = Integer.parseInt(v.substring(0, v.indexOf('.'))) >= 2411 ? "nixos.wsl" : "nixos-wsl.tar.gz";
        return new BuildRequested.Source(BuildRequested.SourceKind.UPSTREAM, UPSTREAM_RELEASES + v + "/" + file, null,
                null);
    }

    /** What a build worker would refuse anyway, said before anything is requested, field by field. */
    static List<FieldError> check(BuildRequest request) {
        List<FieldError> errors = new ArrayList<>();
        if ((request.source() == null) == (request.upstreamVersion() == null)) {
            errors.add(new FieldError("source", "give exactly one of source (kind and location) and upstreamVersion"));
        } else if (request.upstreamVersion() != null && !UPSTREAM_VERSION.matcher(request.upstreamVersion()).matches()) {
            errors.add(new FieldError("upstreamVersion", "is a NixOS-WSL release version such as 2505.7.0; give an "
                    + "older or other archive by its URL as source"));
        } else if (request.source() != null && request.source().kind() == BuildRequested.SourceKind.FLAKE
                && (request.source().flakeHost() == null || request.source().flakeHost().isBlank())) {
            errors.add(new FieldError("source.flakeHost", "a flake build needs the nixosConfigurations name to build"));
        }
        BuildRequested.Customization c = request.customization();
        if (c != null) {
            c.wslConf().forEach((key, value) -> {
                if (!WSL_CONF_KEY.matcher(key).matches() || value == null || value.contains("\n")
                        || value.contains("\r")) {
                    errors.add(new FieldError("customization.wslConf", "settings read section.key = value on one "
                            + "line (boot.systemd = true): " + key));
                }
            });
            c.files().keySet().forEach(path -> {
                if (!path.startsWith("/")) {
                    errors.add(new FieldError("customization.files", "a file's path is absolute inside the distro "
                            + "(/etc/profile.d/proxy.sh): " + path));
                }
            });
            if (c.defaultName() != null && (c.defaultName().contains("\n") || c.defaultName().length() > 64)) {
                errors.add(new FieldError("customization.defaultName", "is one line of at most 64 characters"));
            }
        }
        return errors;
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
