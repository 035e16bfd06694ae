package io.wslfleet.wslstandin;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * A stand-in for {@code schtasks.exe} (its own process, state under {@code $SCHTASKS_STANDIN_STATE}): records each
 * call in {@code calls.log}; {@code /Create /TN name /XML file [/F]} checks the file as Task Scheduler would read
 * it (a BOM-declared encoding, the task namespace, a LogonTrigger for a user, an Exec action) plus what the agent
 * must have (no execution time limit, hidden, restart on failure) and keeps it as {@code tasks/<name>.xml};
 * {@code /Delete /TN name /F} removes it; {@code /Query /TN name}. Messages as schtasks prints them.
 */
public final class SchtasksStandIn {

    static final String NS = "http://schemas.microsoft.com/windows/2004/02/mit/task";

    private SchtasksStandIn() {
    }

    public static void main(String[] args) throws Exception {
        Path state = Path.of(System.getenv("SCHTASKS_STANDIN_STATE"));
        Files.createDirectories(state.resolve("tasks"));
        Files.writeString(state.resolve("calls.log"), String.join(" ", args) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.exit(run(state, Arrays.asList(args)));
    }

    static int run(Path state, List<String> a) throws Exception {
        String name = option(a, "/TN");
        if (a.isEmpty() || name == null) {
            return error("Invalid syntax. Type \"SCHTASKS /?\" for usage.");
        }
        Path task = state.resolve("tasks").resolve(name.replace('\\', '_') + ".xml");
        switch (a.get(0).toUpperCase()) {
            case "/CREATE" -> {
                String xml = option(a, "/XML");
                if (xml == null) {
                    return error("Invalid syntax. Mandatory option '/SC' is missing.");
                }
                if (Files.exists(task) && !a.contains("/F")) {
                    return error("Cannot create a file when that file already exists.");
                }
                byte[] bytes = Files.readAllBytes(Path.of(xml));
                String problem = problem(bytes);
                if (problem != null) {
                    return error("The task XML is malformed.\n(" + problem + ")");
                }
                Files.write(task, bytes);
                System.out.println("SUCCESS: The scheduled task \"" + name + "\" has successfully been created.");
                return 0;
            }
            case "/DELETE" -> {
                if (!Files.deleteIfExists(task)) {
                    return error("The system cannot find the file specified.");
                }
                System.out.println("SUCCESS: The scheduled task \"" + name + "\" was successfully deleted.");
                return 0;
            }
            case "/QUERY" -> {
                if (!Files.exists(task)) {
                    return error("The system cannot find the file specified.");
                }
                System.out.println(name + "    N/A    Ready");
                return 0;
            }
            default -> {
                return error("Invalid argument/option - '" + a.get(0) + "'.");
            }
        }
    }

    /** Null when Task Scheduler would take the task as the agent needs it; else what is wrong. */
    public static String problem(byte[] bytes) {
        boolean utf16 = bytes.length > 2 && (bytes[0] & 0xff) == 0xff && (bytes[1] & 0xff) == 0xfe;
        String text = utf16 ? new String(bytes, 2, bytes.length - 2, StandardCharsets.UTF_16LE)
                : new String(bytes, StandardCharsets.UTF_8);
        if (text.contains("encoding=\"UTF-16\"") && !utf16) {
            return "declares UTF-16 but has no UTF-16LE byte order mark";
        }
        Document doc;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(text.replaceFirst("encoding=\"UTF-16\"",
                    "encoding=\"UTF-8\"").getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            return "not well-formed: " + e.getMessage();
        }
        Element root = doc.getDocumentElement();
        if (!"Task".equals(root.getLocalName()) || !NS.equals(root.getNamespaceURI())) {
            return "root element is not {" + NS + "}Task";
        }
        String user = text(root, "LogonTrigger", "UserId");
        if (user == null || !user.contains("\\")) {
            return "no LogonTrigger for a DOMAIN\\user";
        }
        if (!"PT0S".equals(text(root, "Settings", "ExecutionTimeLimit"))) {
            return "ExecutionTimeLimit is not PT0S (Task Scheduler stops the task after 72 h by default)";
        }
        if (!"true".equals(text(root, "Settings", "Hidden"))) {
            return "not Hidden";
        }
        if (text(root, "RestartOnFailure", "Interval") == null || text(root, "RestartOnFailure", "Count") == null) {
            return "no RestartOnFailure interval and count";
        }
        if (text(root, "Exec", "Command") == null || text(root, "Exec", "Command").isBlank()) {
            return "no Exec command";
        }
        return null;
    }

    private static String text(Element root, String parent, String child) {
        var parents = root.getElementsByTagNameNS(NS, parent);
        if (parents.getLength() == 0) {
            return null;
        }
        var children = ((Element) parents.item(0)).getElementsByTagNameNS(NS, child);
        return children.getLength() == 0 ? null : children.item(0).getTextContent().trim();
    }

    private static int error(String message) {
        System.out.println("ERROR: " + message);
        return 1;
    }

    static String option(List<String> args, String name) {
        for (int i = 0; i + 1 < args.size(); i++) {
            if (args.get(i).equalsIgnoreCase(name)) {
                return args.get(i + 1);
            }
        }
        return null;
    }
}
