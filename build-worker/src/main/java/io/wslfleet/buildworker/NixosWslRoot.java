package io.wslfleet.buildworker;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rules a NixOS-WSL root must meet, the same for an archive ({@link ArchiveInspector}) and for a directory about
 * to be packed ({@link RootPacker}), so that {@code pack} refuses, before packing, every root whose archive
 * {@code inspect} would refuse: {@code /etc/wsl-distribution.conf} parses as INI with {@code [oobe]},
 * {@code /bin/nixos-wsl-recovery} is a regular file, {@code /nix/var/nix/profiles/system} → {@code system-N-link} →
 * {@code /nix/store/…-nixos-system-<host>-<version>}, a directory of the root.
 *
 * @param nixosVersion the NixOS version in the system's store name
 * @param hostName     the host name in it
 * @param systemPath   the system's store path
 * @param generation   N of the {@code system-N-link} the profile points at
 */
record NixosWslRoot(String nixosVersion, String hostName, String systemPath, int generation) {

    private static final Pattern SYSTEM_LINK = Pattern.compile("system-(\\d+)-link");
    private static final Pattern SYSTEM_PATH = Pattern.compile("/nix/store/[0-9a-z]{32}-nixos-system-(.+?)-(\\d+\\.\\d+[^/]*)");
    static final String PROFILE = "/nix/var/nix/profiles/system";

    /** An image's entries as far as the rules need them; paths are byte strings ({@link TarNames}), absolute. */
    interface Image {
        /** The target of the symlink at {@code path}, or null if it is no symlink (or not one the image kept). */
        String symlinkTarget(String path);

        boolean exists(String path);

        boolean isDirectory(String path);

        boolean isRegularFile(String path);
    }

    static NixosWslRoot check(Image image, String distributionConf) throws InvalidArchiveException {
        ArchiveInspector.checkDistributionConf(distributionConf);
        if (!image.isRegularFile("/bin/nixos-wsl-recovery")) {
            throw new InvalidArchiveException("not a NixOS-WSL root: /bin/nixos-wsl-recovery "
                    + (image.exists("/bin/nixos-wsl-recovery") ? "is not a regular file" : "is missing"));
        }
        String profile = image.symlinkTarget(PROFILE);
        if (profile == null) {
            throw new InvalidArchiveException("not a NixOS root: " + PROFILE
                    + (image.exists(PROFILE) ? " is not a symlink" : " is missing"));
        }
        String linkName = profile.contains("/") ? profile.substring(profile.lastIndexOf('/') + 1) : profile;
        Matcher generation = SYSTEM_LINK.matcher(linkName);
        if (!generation.matches()) {
            throw new InvalidArchiveException(PROFILE + " points at " + TarNames.display(profile) + ", not system-N-link");
        }
        String generationLink = "/nix/var/nix/profiles/" + linkName;
        String systemPath = image.symlinkTarget(generationLink);
        if (systemPath == null) {
            throw new InvalidArchiveException(generationLink
                    + (image.exists(generationLink) ? " is not a symlink" : " is missing"));
        }
        Matcher system = SYSTEM_PATH.matcher(systemPath);
        if (!system.matches()) {
            throw new InvalidArchiveException(linkName + " points at " + TarNames.display(systemPath)
                    + ", not a /nix/store/…-nixos-system-<host>-<version> path");
        }
        if (!image.isDirectory(systemPath)) {
            throw new InvalidArchiveException("the system " + systemPath + " is not in the "
                    + (image.exists(systemPath) ? "archive as a directory" : "archive"));
        }
        return new NixosWslRoot(system.group(2), system.group(1), systemPath, Integer.parseInt(generation.group(1)));
    }
}
