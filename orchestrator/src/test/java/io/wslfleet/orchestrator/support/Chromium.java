package io.wslfleet.orchestrator.support;

import static org.awaitility.Awaitility.await;

import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Real headless browsers for the dashboard tests: Debian's chromium driven through its chromedriver, each signed in
 * as one user of the orchestrator under test. Screenshots go to {@code target/screenshots/}.
 */
public final class Chromium implements AutoCloseable {
    public static final Path BINARY = Path.of(System.getProperty("fleet.chromium", "/usr/bin/chromium"));
    public static final Path DRIVER = Path.of(System.getProperty("fleet.chromedriver", "/usr/bin/chromedriver"));
    public static final String MISSING = "needs Debian's chromium and chromium-driver (apt-get install chromium "
            + "chromium-driver; .ci/run does)";

    private final URL base;
    private final List<WebDriver> browsers = new ArrayList<>();
    private final Map<WebDriver, String> credentials = new HashMap<>();

    public Chromium(URL base) {
        this.base = base;
    }

    public static boolean available() {
        return Files.isExecutable(BINARY) && Files.isExecutable(DRIVER);
    }

    /** A new browser signed in as {@code user}: it keeps the Basic credentials for the origin, as a bookmark with them would. */
    public WebDriver signIn(String user, String password) throws Exception {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BINARY.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000",
                "--user-data-dir=" + Files.createTempDirectory("chromium-profile-"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
        WebDriver driver = new ChromeDriver(service, options);
        browsers.add(driver);
        // the browser keeps the Basic credentials for the origin, for pages, htmx and fetch requests and the event stream
        credentials.put(driver, user + ":" + password + "@");
        driver.get(base.toString().replace("://", "://" + credentials.get(driver)));
        return driver;
    }

    /** Opens a page (credentials in the URL) and waits until it has rendered. */
    public void open(WebDriver driver, String path) {
        driver.get(base.toString().replace("://", "://" + credentials.get(driver)) + path.replaceFirst("^/", ""));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> !text(driver, "page").isEmpty());
    }

    /** The whole page (up to 2,400 pixels high), not only the window's part of it. */
    public static void screenshot(WebDriver driver, String name) throws Exception {
        Path dir = Path.of("target", "screenshots");
        Files.createDirectories(dir);
        Dimension window = driver.manage().window().getSize();
        long height = ((Number) script(driver, "return document.documentElement.scrollHeight;")).longValue();
        driver.manage().window().setSize(new Dimension(window.getWidth(),
                (int) Math.min(2400, Math.max(window.getHeight(), height + window.getHeight()
                        - ((Number) script(driver, "return window.innerHeight;")).longValue()))));
        try {
            File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
            Files.copy(shot.toPath(), dir.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } finally {
            driver.manage().window().setSize(window);
        }
    }

    /** Read through one script call: htmx swaps the page in place, so element handles go stale between calls. */
    public static String text(WebDriver driver, String id) {
        Object t = script(driver, "var e = document.getElementById(arguments[0]); return e ? e.textContent.trim() : '';", id);
        return String.valueOf(t);
    }

    /** The text of the first element matching {@code cssSelector}, or "" when there is none. */
    public static String textOf(WebDriver driver, String cssSelector) {
        Object t = script(driver, "var e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : '';",
                cssSelector);
        return String.valueOf(t);
    }

    public static void click(WebDriver driver, String cssSelector) {
        script(driver, "document.querySelector(arguments[0]).click();", cssSelector);
    }

    public static Object script(WebDriver driver, String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    @Override
    public void close() {
        browsers.forEach(WebDriver::quit);
        browsers.clear();
    }
}
