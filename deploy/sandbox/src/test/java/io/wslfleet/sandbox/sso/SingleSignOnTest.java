package io.wslfleet.sandbox.sso;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wslfleet.sandbox.LocalFleet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Single sign-on against a real Keycloak ({@link KeycloakServer}) and the packaged orchestrator configured only
 * through its {@code FLEET_OIDC_*} variables, as a deployment configures it. The realm (test resource
 * {@code keycloak/fleet-realm.json}) has the client {@code wsl-fleet} with an audience mapper, a user per fleet role
 * ({@code fleet-admin}, {@code fleet-operator}, {@code fleet-viewer}) and one whose only role is called {@code admin}.
 * Last, the orchestrator is stopped with SIGTERM and must end cleanly.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SingleSignOnTest {
    private static final String REALM = "fleet";
    private static final String CLIENT = "wsl-fleet";
    private static final String SECRET = "wsl-fleet-secret";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;
    private static KeycloakServer keycloak;
    private static LocalFleet fleet;
    private static URI orchestrator;
    private static final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeAll
    static void start() throws Exception {
        Path realm = Path.of(SingleSignOnTest.class.getResource("/keycloak/fleet-realm.json").toURI());
        long started = System.nanoTime();
        keycloak = KeycloakServer.start(Path.of(System.getProperty("fleet.keycloak.home")), List.of(realm),
                work.resolve("keycloak.log"));
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("FLEET_OIDC_ENABLED", "true");
        env.put("FLEET_OIDC_ISSUER", keycloak.issuer(REALM));
        env.put("FLEET_OIDC_CLIENT_ID", CLIENT);
        env.put("FLEET_OIDC_CLIENT_SECRET", SECRET);
        env.put("FLEET_OIDC_AUDIENCE", CLIENT);
        env.put("FLEET_OIDC_ROLE_CLAIM", "realm_access/roles");
        env.put("FLEET_OIDC_SESSION_SECRET", "a-32-character-session-secret-for-tests!");
        // Keycloak boots while the broker, the database, the build worker and the orchestrator do
        CompletableFuture<Duration> ready = CompletableFuture.supplyAsync(
                () -> keycloak.awaitReady(REALM, Duration.ofMinutes(4), started));
        fleet = LocalFleet.start(new LocalFleet.Options(work.resolve("fleet"), 0, 0,
                Path.of(System.getProperty("fleet.orchestrator.jar")), "sso-test-admin", env), System.out::println);
        orchestrator = fleet.api().base();
        Duration took = ready.join();
        System.out.println("Keycloak " + keycloakVersion() + " ready " + took.toMillis() + " ms after its start");
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
        if (keycloak != null) {
            keycloak.close();
        }
    }

    @Test
    @Order(1)
    void aViewersTokenReadsButChangesNothing() throws Exception {
        String vera = token("vera", "vera-password", CLIENT, SECRET);
        assertThat(api("GET", "api/v1/machines", vera, null).statusCode()).isEqualTo(200);
        assertThat(api("POST", "api/v1/rollouts", vera, rollout()).statusCode()).isEqualTo(403);
        assertThat(api("POST", "api/v1/builds", vera, build()).statusCode()).isEqualTo(403);
        assertThat(api("GET", "api/v1/enrolment-tokens", vera, null).statusCode()).isEqualTo(403);
    }

    @Test
    @Order(2)
    void anOperatorsTokenChangesTheFleetUnderTheirName() throws Exception {
        String otto = token("otto", "otto-password", CLIENT, SECRET);
        HttpResponse<String> build = api("POST", "api/v1/builds", otto, build());
        assertThat(build.statusCode()).as(build.body()).isIn(201, 202);
        // the audit names the signed-in user (the token's preferred_username)
        assertThat(JSON.readTree(build.body()).path("requestedBy").asText()).isEqualTo("otto");
        // past the role check: the rollout is refused only for its empty target (no machine has enrolled)
        HttpResponse<String> rollout = api("POST", "api/v1/rollouts", otto, rollout());
        assertThat(rollout.statusCode()).as(rollout.body()).isNotIn(401, 403);
        assertThat(api("GET", "api/v1/enrolment-tokens", otto, null).statusCode()).isEqualTo(403);
    }

    @Test
    @Order(3)
    void anAdminsTokenManagesEnrolmentTokens() throws Exception {
        String ada = token("ada", "ada-password", CLIENT, SECRET);
        HttpResponse<String> made = api("POST", "api/v1/enrolment-tokens", ada, "{\"maxUses\":1,\"expiresIn\":\"PT1H\"}");
        assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
        assertThat(api("GET", "api/v1/enrolment-tokens", ada, null).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(4)
    void aRoleOfTheIdentityProviderNamedLikeAFleetRoleGrantsNothing() throws Exception {
        String nils = token("nils", "nils-password", CLIENT, SECRET);
        assertThat(api("GET", "api/v1/machines", nils, null).statusCode()).isEqualTo(403);
    }

    @Test
    @Order(5)
    void tokensOfAnotherIssuerAudienceOrTimeAre401Problems() throws Exception {
        String otherIssuer = token(keycloak.issuer("master"), KeycloakServer.BOOTSTRAP_ADMIN,
                KeycloakServer.BOOTSTRAP_PASSWORD, "admin-cli", null);
        String otherAudience = token("ada", "ada-password", "another-application", "another-secret");
        String shortLived = token("ada", "ada-password", "wsl-fleet-short-lived", "short-lived-secret");
        // the short-lived client's token is good for 2 s
        assertThat(api("GET", "api/v1/machines", shortLived, null).statusCode()).isEqualTo(200);
        Thread.sleep(3_500);
        for (String bad : List.of(otherIssuer, otherAudience, shortLived, "not-a-token")) {
            HttpResponse<String> response = api("GET", "api/v1/machines", bad, null);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(JSON.readTree(response.body()).path("status").asInt()).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer error=\"invalid_token\"");
        }
        // no credentials at all on the API: still the problem-details 401, not a redirect to the identity provider
        HttpResponse<String> anonymous = api("GET", "api/v1/machines", null, null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    @Order(6)
    void theDashboardSignsABrowserInWithTheCodeFlow() throws Exception {
        Browser browser = new Browser();
        HttpResponse<String> toLogin = browser.get(orchestrator.resolve("/ui/machines"));
        assertThat(toLogin.statusCode()).isEqualTo(302);
        String authorize = toLogin.headers().firstValue("Location").orElseThrow();
        assertThat(authorize).startsWith(keycloak.issuer(REALM) + "/protocol/openid-connect/auth")
                .contains("redirect_uri=" + URLEncoder.encode(orchestrator.resolve("/ui/signed-in").toString(),
                        StandardCharsets.UTF_8));

        HttpResponse<String> form = browser.get(URI.create(authorize));
        assertThat(form.statusCode()).isEqualTo(200);
        Matcher action = Pattern.compile("<form[^>]*id=\"kc-form-login\"[^>]*action=\"([^\"]+)\"").matcher(form.body());
        assertThat(action.find()).as("Keycloak's login form").isTrue();
        HttpResponse<String> back = browser.postForm(URI.create(action.group(1).replace("&amp;", "&")),
                Map.of("username", "vera", "password", "vera-password"));
        assertThat(back.statusCode()).as(back.body()).isEqualTo(302);
        String callback = back.headers().firstValue("Location").orElseThrow();
        assertThat(callback).startsWith(orchestrator.resolve("/ui/signed-in").toString()).contains("code=");

        HttpResponse<String> signedIn = browser.get(URI.create(callback));
        assertThat(signedIn.statusCode()).isEqualTo(302);
        assertThat(signedIn.headers().firstValue("Location").orElseThrow()).endsWith("/ui/machines");
        // the session is a cookie sealed with FLEET_OIDC_SESSION_SECRET, not server state: any replica reads it
        assertThat(browser.cookies(orchestrator)).containsKey("q_session_dashboard");
        HttpResponse<String> page = browser.get(orchestrator.resolve("/ui/machines"));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    }

    @Test
    @Order(7)
    void aSigtermedOrchestratorExitsCleanly() throws IOException {
        int exit = fleet.stopOrchestrator();
        String log = Files.readString(fleet.orchestratorLog());
        String tail = log.lines().skip(Math.max(0, log.lines().count() - 30)).collect(Collectors.joining("\n"));
        // 143 = 128 + SIGTERM: how a JVM ends on SIGTERM once its shutdown hooks ran (SIGKILL after 15 s would be
        // 137); the systemd unit counts it as success (SuccessExitStatus=143), Kubernetes does not look
        assertThat(exit).as(tail).isEqualTo(143);
        assertThat(log).as(tail).contains("wsl-fleet-orchestrator stopped in")
                .doesNotContain("EntityManagerFactory is closed").doesNotContain(" ERROR ");
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private static String token(String user, String password, String client, String secret) throws Exception {
        return token(keycloak.issuer(REALM), user, password, client, secret);
    }

    private static String token(String issuer, String user, String password, String client, String secret)
            throws Exception {
        Map<String, String> fields = new HashMap<>(Map.of("grant_type", "password", "client_id", client,
                "username", user, "password", password));
        if (secret != null) {
            fields.put("client_secret", secret);
        }
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create(issuer + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(fields))).build(), text());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("access_token").asText();
    }

    private static HttpResponse<String> api(String method, String path, String bearer, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(orchestrator.resolve("/" + path));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        request.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        return http.send(request.build(), text());
    }

    private static String rollout() {
        return "{\"name\":\"sso\",\"releaseId\":\"rel-none\",\"target\":{\"all\":true}}";
    }

    private static String build() {
        return "{\"version\":\"26.1\",\"source\":{\"kind\":\"ROOT_DIRECTORY\",\"location\":\"/nonexistent\"}}";
    }

    private static HttpResponse.BodyHandler<String> text() {
        return HttpResponse.BodyHandlers.ofString();
    }

    private static String form(Map<String, String> fields) {
        return fields.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }

    /**
     * Just enough of a browser for the code flow: follows nothing by itself and keeps cookies per host and port.
     * (java.net.CookieManager drops Keycloak's {@code Secure} cookies on plain HTTP, which a browser keeps for
     * 127.0.0.1.)
     */
    private static final class Browser {
        private final Map<String, Map<String, String>> jar = new HashMap<>();

        HttpResponse<String> get(URI uri) throws Exception {
            return send(HttpRequest.newBuilder(uri).GET(), uri);
        }

        HttpResponse<String> postForm(URI uri, Map<String, String> fields) throws Exception {
            return send(HttpRequest.newBuilder(uri).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form(fields))), uri);
        }

        Map<String, String> cookies(URI uri) {
            return jar.getOrDefault(uri.getAuthority(), Map.of());
        }

        private HttpResponse<String> send(HttpRequest.Builder request, URI uri) throws Exception {
            Map<String, String> cookies = cookies(uri);
            if (!cookies.isEmpty()) {
                request.header("Cookie", cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining("; ")));
            }
            HttpResponse<String> response = http.send(request.build(), text());
            for (String set : response.headers().allValues("Set-Cookie")) {
                String pair = set.split(";", 2)[0];
                int eq = pair.indexOf('=');
                Map<String, String> mine = jar.computeIfAbsent(uri.getAuthority(), k -> new HashMap<>());
                String value = pair.substring(eq + 1);
                if (value.isEmpty() || set.toLowerCase().contains("max-age=0")) {
                    mine.remove(pair.substring(0, eq));
                } else {
                    mine.put(pair.substring(0, eq), value);
                }
            }
            return response;
        }
    }

    private static String keycloakVersion() {
        try {
            return Files.readString(Path.of(System.getProperty("fleet.keycloak.home"), "version.txt")).trim();
        } catch (IOException e) {
            return "(unknown version)";
        }
    }
}
