// How a page holds its reads and its Realtime topics.
import { useEffect, useMemo } from "preact/hooks";
import { joinTopics, type Subscription } from "./live.ts";
import type { Resource } from "./resource.ts";

/** The page's reads, made once per `key` and read when the page opens; refreshAll reads again. */
export function usePageReads<R extends Record<string, Resource<unknown>>>(
  make: () => R,
  key: unknown = null,
): { reads: R; refreshAll: () => void } {
  const reads = useMemo(make, [key]);
  const refreshAll = () => Object.values(reads).forEach((read) => void read.refresh());
  useEffect(refreshAll, [reads]);
  return { reads, refreshAll };
}

/** Joins the topics of every workspace listed, again whenever the list changes. */
export function useWorkspaceTopics(
  workspaces: { id: number }[] | null | undefined,
  topicsOf: (workspaceId: number) => Subscription[],
  resync: () => void,
) {
  const ids = workspaces?.map((w) => w.id).join(",") ?? "";
  useEffect(() => {
    if (!workspaces?.length) return;
    return joinTopics(workspaces.flatMap((w) => topicsOf(w.id)), resync);
  }, [ids]);
}
