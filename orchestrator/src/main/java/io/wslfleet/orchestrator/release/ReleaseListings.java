package io.wslfleet.orchestrator.release;

import io.wslfleet.orchestrator.api.Page;
import jakarta.enterprise.context.ApplicationScoped;

/** Releases (newest published first) and builds (newest requested first), a page at a time. */
@ApplicationScoped
public class ReleaseListings {

    public Page<ReleaseResource.ReleaseView> releases(int page, int size) {
        var query = Release.<Release>find("order by publishedAt desc");
        return new Page<>(query.page(page, size).list().stream().map(ReleaseResource.ReleaseView::of).toList(), page,
                size, query.count());
    }

    public Page<BuildResource.BuildView> builds(int page, int size) {
        var query = Build.<Build>find("order by createdAt desc");
        return new Page<>(query.page(page, size).list().stream().map(BuildResource.BuildView::of).toList(), page,
                size, query.count());
    }
}
