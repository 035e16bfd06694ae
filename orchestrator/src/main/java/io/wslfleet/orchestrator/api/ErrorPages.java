package io.wslfleet.orchestrator.api;

import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Errors for people: a browser opening a dashboard page (it asks for {@code text/html}) that fails gets an HTML page
 * with the problem in words; the API ({@code /api/...}) and every client that does not ask for HTML keep problem
 * details as {@code application/problem+json}.
 */
public class ErrorPages {

    @CheckedTemplate(basePath = "errors")
    static class Templates {
        static native TemplateInstance error(Problem problem);
    }

    /** Whether a request for {@code path} with this {@code Accept} header comes from a browser opening a page. */
    public static boolean forBrowser(String path, String accept) {
        return accept != null && accept.contains(MediaType.TEXT_HTML) && path != null && !path.startsWith("/api/")
                && !path.startsWith("/q/");
    }

    /** The problem as an HTML page. */
    public static String html(Problem problem) {
        return Templates.error(problem).render();
    }

    /** A problem answered by a JAX-RS resource or exception mapper: as HTML to a browser opening a page. */
    @ServerResponseFilter
    public void toHtml(ContainerRequestContext request, ContainerResponseContext response) {
        if (response.getEntity() instanceof Problem problem
                && forBrowser(request.getUriInfo().getPath(), request.getHeaderString(HttpHeaders.ACCEPT))) {
            response.setEntity(html(problem), null, MediaType.TEXT_HTML_TYPE.withCharset("UTF-8"));
        }
    }
}
