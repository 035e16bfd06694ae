package io.wslfleet.buildworker;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a customisation of a NixOS-WSL image may touch, so that it survives NixOS. At every boot NixOS activates the
 * system, and activation ({@code setup-etc.pl} in nixpkgs) links every file of the system's etc derivation into
 * {@code /etc} as a link to {@code /etc/static/…}, overwrites the copied ones ({@code /etc/.clean}), rewrites
 * {@code /etc/passwd}, {@code group}, {@code shadow}, {@code subuid} and {@code subgid} from {@code users.*}, and puts
 * back what it links into {@code /bin} and {@code /usr/bin}; the store is read-only and content-addressed. An edit of
 * any of those in a tarball lasts one boot at best, so they are refused, with the NixOS option that does it
 * properly in the FLAKE source. What may be touched:
 * <ul>
 *   <li>{@code /etc/wsl-distribution.conf} (read by WSL at install, not NixOS's) and other files in {@code /etc}
 *   NixOS does not manage (e.g. {@code /etc/company/…});</li>
 *   <li>{@code /etc/nixos/…}: the configuration the user's next {@code nixos-rebuild} builds (activation skips it);</li>
 *   <li>homes: {@code /home/…} and {@code /root/…} (activation only creates missing homes);</li>
 *   <li>other state NixOS does not put back ({@code /var/lib/…}, {@code /opt}, {@code /srv}).</li>
 * </ul>
 * Refused everywhere: a path that lands on or passes through a symlink of the image (a writer following it writes
 * elsewhere, GNU tar keeps the link), a directory, or a path under {@code /nix}, {@code /bin}, {@code /sbin},
 * {@code /usr}, {@code /lib}, {@code /lib64}, {@code /boot}, {@code /run}, {@code /tmp}, {@code /proc}, {@code /sys},
 * {@code /dev} or {@code /mnt}.
 */
final class CustomizationPolicy {

    static final String WSL_CONF = "/etc/wsl.conf";
    static final String DISTRIBUTION_CONF = "/etc/wsl-distribution.conf";

    private static final List<String> NIXOS_TREES = List.of("/nix", "/bin", "/sbin", "/usr", "/lib", "/lib64",
            "/boot", "/run", "/tmp", "/proc", "/sys", "/dev", "/mnt");
    private static final Set<String> REWRITTEN_AT_ACTIVATION = Set.of("/etc/passwd", "/etc/group", "/etc/shadow",
            "/etc/subuid", "/etc/subgid", "/etc/NIXOS", "/etc/.clean", "/etc/static", "/etc/machine-id");

    private CustomizationPolicy() {
    }

    /** A customisation path (Unicode, as given) checked for form and made a byte string ({@link TarNames}). */
    static String path(String given) {
        if (given == null || !given.startsWith("/")) {
            throw new IllegalArgumentException("a customisation path is absolute (starts with /): " + given);
        }
        if (given.indexOf('\0') >= 0 || given.length() > 4096) {
            throw new IllegalArgumentException("not a usable path: " + given);
        }
        String path = given.length() > 1 && given.endsWith("/") ? given.substring(0, given.length() - 1) : given;
        for (String part : path.substring(1).split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new IllegalArgumentException("a customisation path has no empty, . or .. parts: " + given);
            }
        }
        return TarNames.ofUnicode(path);
    }

    /** Every path the customisation writes (byte strings), for {@link ArchiveInspector#inspect} to watch. */
    static Set<String> targets(Map<String, ArchiveCustomizer.NewFile> files, boolean editWslConf, boolean editDistribution) {
        var all = new java.util.HashSet<>(files.keySet());
        if (editWslConf) {
            all.add(WSL_CONF);
        }
        if (editDistribution) {
            all.add(DISTRIBUTION_CONF);
        }
        return all;
    }

    /**
     * Refuses, with what to do instead, a customisation that touches what NixOS puts back or that lands on or passes
     * through a symlink; {@code wslConfKeys} are the {@code section.key} settings asked for (for the message).
     */
    static void check(Set<String> targets, ArchiveInspector.Inspection image, Set<String> wslConfKeys)
            throws CustomizationRefusedException {
        for (String target : targets) {
            String shown = TarNames.display(target);
            String hint = optionFor(target, wslConfKeys);
            if (target.equals("/")) {
                throw new CustomizationRefusedException("/ is the root directory, not a file");
            }
            for (String tree : NIXOS_TREES) {
                if (target.equals(tree) || target.startsWith(tree + "/")) {
                    throw new CustomizationRefusedException(shown + " is under " + tree + ", which NixOS owns ("
                            + (tree.equals("/nix") ? "the read-only store and its profiles"
                            : tree.equals("/bin") || tree.equals("/usr") ? "activation puts back what it links there"
                            : "system or boot-time state") + "): " + hint);
                }
            }
            for (String p = ArchiveInspector.parent(target); p != null && !p.equals("/"); p = ArchiveInspector.parent(p)) {
                ArchiveInspector.Kind kind = image.kinds().get(p);
                if (kind == ArchiveInspector.Kind.SYMLINK) {
                    String linkTarget = image.symlinkTargets().get(p);
                    throw new CustomizationRefusedException(shown + " passes through the symlink " + TarNames.display(p)
                            + " -> " + TarNames.display(linkTarget) + managedNote(linkTarget) + ": " + hint);
                }
                if (kind != null && kind != ArchiveInspector.Kind.DIRECTORY) {
                    throw new CustomizationRefusedException(shown + ": " + TarNames.display(p)
                            + " is not a directory in the image");
                }
            }
            ArchiveInspector.Kind kind = image.kinds().get(target);
            if (kind == ArchiveInspector.Kind.SYMLINK) {
                String linkTarget = image.symlinkTargets().get(target);
                throw new CustomizationRefusedException(shown + " is a symlink -> " + TarNames.display(linkTarget)
                        + managedNote(linkTarget) + "; replacing or editing it in the image does not last: " + hint);
            }
            if (kind == ArchiveInspector.Kind.DIRECTORY || kind == ArchiveInspector.Kind.OTHER) {
                throw new CustomizationRefusedException(shown + " is " + (kind == ArchiveInspector.Kind.DIRECTORY
                        ? "a directory" : "a special file") + " in the image, not a file");
            }
            if (image.etcManaged().contains(target)) {
                throw new CustomizationRefusedException(shown + " is a file NixOS manages (its etc derivation has it,"
                        + " activation puts it back at every boot): " + hint);
            }
            if (REWRITTEN_AT_ACTIVATION.contains(target)) {
                throw new CustomizationRefusedException(shown + " is rewritten by NixOS at every activation: " + hint);
            }
        }
    }

    private static String managedNote(String linkTarget) {
        return linkTarget != null && (linkTarget.startsWith("/etc/static") || linkTarget.startsWith("/nix/store/"))
                ? " (NixOS manages it: activation links it back into the store at every boot)" : "";
    }

    /** Where the FLAKE source sets what {@code path} holds. */
    static String optionFor(String path, Set<String> wslConfKeys) {
        String option;
        if (path.equals(WSL_CONF)) {
            option = wslConfKeys.isEmpty() ? "wsl.wslConf.<section>.<key>"
                    : String.join(", ", wslConfKeys.stream().sorted().map(k -> "wsl.wslConf." + k).toList());
        } else if (path.startsWith("/etc/ssl/") || path.startsWith("/etc/pki/")) {
            option = "security.pki.certificateFiles (or security.pki.certificates) for a CA certificate";
        } else if (path.equals("/etc/hosts")) {
            option = "networking.hosts (with wsl.wslConf.network.generateHosts = false)";
        } else if (path.equals("/etc/resolv.conf")) {
            option = "networking.nameservers (with wsl.wslConf.network.generateResolvConf = false)";
        } else if (path.startsWith("/etc/nix/")) {
            option = "nix.settings";
        } else if (path.startsWith("/etc/sudoers")) {
            option = "security.sudo.extraRules";
        } else if (Set.of("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/subuid", "/etc/subgid").contains(path)) {
            option = "users.users and users.groups";
        } else if (path.startsWith("/etc/ssh/")) {
            option = "services.openssh.settings";
        } else if (path.startsWith("/etc/systemd/")) {
            option = "systemd.services, systemd.units";
        } else if (path.startsWith("/etc/profile") || path.startsWith("/etc/bashrc")) {
            option = "environment.shellInit, programs.bash.interactiveShellInit";
        } else if (path.startsWith("/etc/")) {
            option = "environment.etc.\"" + TarNames.display(path.substring(5)) + "\".source (or .text)";
        } else if (path.startsWith("/bin/") || path.startsWith("/usr/bin/")) {
            option = "wsl.extraBin or environment.systemPackages";
        } else {
            option = "environment.systemPackages, environment.etc, systemd.tmpfiles.rules";
        }
        return "set " + option + " in the FLAKE source and build a FLAKE release";
    }
}
