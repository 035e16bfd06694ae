package io.wslfleet.buildworker;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import io.wslfleet.protocol.events.BuildRequested;

/** Customisation plans for the tests: checked against an image as the worker does, or against none (stream tests). */
final class Plans {

    private Plans() {
    }

    /** Checked against nothing: for tests of the stream itself, on archives that are no NixOS-WSL image. */
    static ArchiveCustomizer.Plan unchecked(BuildRequested.Customization c) throws IOException {
        return ArchiveCustomizer.plan(c, ArchiveInspector.Inspection.nothingKnown());
    }

    /** As the worker and the CLI do: the image inspected, watching what the customisation writes, then checked. */
    static ArchiveCustomizer.Plan checked(Path image, BuildRequested.Customization c) throws IOException {
        try (InputStream in = Files.newInputStream(image)) {
            return ArchiveCustomizer.plan(c, ArchiveInspector.inspect(in, ArchiveInspector.Limits.DEFAULT,
                    ArchiveCustomizer.targets(c)));
        }
    }

    static ArchiveCustomizer.Plan checked(byte[] image, BuildRequested.Customization c) throws IOException {
        return ArchiveCustomizer.plan(c, ArchiveInspector.inspect(new ByteArrayInputStream(image),
                ArchiveInspector.Limits.DEFAULT, ArchiveCustomizer.targets(c)));
    }

    static ArchiveCustomizer.Changes customize(InputStream in, java.io.OutputStream out, ArchiveCustomizer.Plan plan)
            throws IOException {
        return ArchiveCustomizer.customize(in, out, plan, ArchiveInspector.Limits.DEFAULT, read -> { });
    }
}
