import type { NodeReport, NodeReportStore } from '../types';

/** The reports of the nodes sharing these stores (in memory: this process's one node). */
export function createMemoryNodeReportStore(now: () => number = Date.now): NodeReportStore {
  const reports = new Map<string, { report: NodeReport; until: number }>();
  return {
    async report(report, ttlMs) {
      reports.set(report.id, { report: structuredClone(report), until: now() + ttlMs });
    },
    async all() {
      const live: NodeReport[] = [];
      for (const [id, { report, until }] of reports) {
        if (until <= now()) reports.delete(id);
        else live.push(structuredClone(report));
      }
      return live;
    },
    async forget(id) {
      reports.delete(id);
    },
  };
}
