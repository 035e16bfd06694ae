package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Base64;
import java.util.List;
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
     * @param files        absolute paths inside the root to UTF-8 text contents, added or replaced (kept for requests
     *                     written before {@code fileContents}; text only)
     * @param defaultName  the {@code [oobe] defaultName} of {@code /etc/wsl-distribution.conf}, or null to keep it
     * @param wslConf      {@code section.key} to value settings merged into {@code /etc/wsl.conf}
     * @param fileContents files added or replaced, as bytes (base64 in JSON) with mode and owner; a path may be in
     *                     {@code files} or here, not both
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Customization(Map<String, String> files, String defaultName, Map<String, String> wslConf,
                                @JsonInclude(JsonInclude.Include.NON_EMPTY) List<File> fileContents) {
        public Customization {
            files = Require.map(files);
            wslConf = Require.map(wslConf);
            fileContents = Require.list(fileContents);
        }

        public Customization(Map<String, String> files, String defaultName, Map<String, String> wslConf) {
            this(files, defaultName, wslConf, List.of());
        }
    }

    /**
     * One file of a customisation.
     *
     * @param path          absolute path inside the root
     * @param contentBase64 the content, base64 (RFC 4648, with padding)
     * @param mode          permission bits in octal ({@code "0644"}, {@code "4755"}), or null: a replaced file keeps
     *                      its mode, an added one gets 0644
     * @param uid           numeric owner, or null: kept when replacing, 0 when adding
     * @param gid           numeric group, or null: kept when replacing, 0 when adding
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record File(String path, String contentBase64, String mode, Long uid, Long gid) {
        public File {
            Require.nonBlank(path, "fileContents.path");
            Require.nonNull(contentBase64, "fileContents.contentBase64");
        }

        public static File of(String path, byte[] content, String mode, Long uid, Long gid) {
            return new File(path, Base64.getEncoder().encodeToString(content), mode, uid, gid);
        }

        /** The content's bytes; a content that is not base64 is an {@link IllegalArgumentException}. */
        public byte[] content() {
            return Base64.getDecoder().decode(contentBase64);
        }
    }
}
