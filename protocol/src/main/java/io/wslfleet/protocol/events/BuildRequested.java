package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.Map;

/**
 * Build or import a release.
 *
 * @param buildId       unique id of this build; the key on {@code fleet.build-requests}
 * @param version       the release version to publish, e.g. {@code 2505.7.0-acme.1}
 * @param source        where the system comes from
 * @param customization company changes applied to the archive, or null for none
 * @param requestedBy   who asked (a user name or "api")
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BuildRequested(String buildId, String version, Source source, Customization customization,
                             String requestedBy) implements BuildEvent {
    public BuildRequested {
        Require.id(buildId, "buildId");
        Require.id(version, "version");
        Require.name(requestedBy, "requestedBy", 256);
        Require.nonNull(source, "source");
    }

    public enum SourceKind {
        /** {@code nix build <location>#nixosConfigurations.<flakeHost>.config.system.build.tarballBuilder}. */
        FLAKE,
        /** An official {@code nixos.wsl} (or pre-2411 {@code nixos-wsl.tar.gz}) at a URL or path, with its {@code .sha256}. */
        UPSTREAM,
        /** A NixOS-WSL root directory on the build worker, packed the way upstream packs it. */
        ROOT_DIRECTORY
    }

    /**
     * @param kind           how to make the archive
     * @param location       flake reference, URL or path of the upstream archive, or root directory path
     * @param sha256Location for UPSTREAM: URL or path of the {@code .sha256} file (default: location + ".sha256")
     * @param flakeHost      for FLAKE: the nixosConfigurations attribute name
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Source(SourceKind kind, String location, String sha256Location, String flakeHost) {
        public Source {
            Require.nonNull(kind, "source.kind");
            Require.nonBlank(location, "source.location");
        }
    }

    /**
     * @param files       absolute paths inside the root to UTF-8 contents, added or replaced
     * @param defaultName the {@code [oobe] defaultName} of {@code /etc/wsl-distribution.conf}, or null to keep it
     * @param wslConf     {@code section.key} to value settings merged into {@code /etc/wsl.conf}
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Customization(Map<String, String> files, String defaultName, Map<String, String> wslConf) {
        public Customization {
            files = Require.map(files);
            wslConf = Require.map(wslConf);
        }
    }
}
