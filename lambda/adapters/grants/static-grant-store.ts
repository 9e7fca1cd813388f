import { readFileSync } from 'node:fs';
import type { Grant } from '../../core/model';
import type { GrantStore } from '../../core/ports';
import { GrantRecordError, parseGrantRecords } from './grant-records';

/** Grants held in memory, indexed by principal (grants file, tests). */
export function createStaticGrantStore(grants: readonly Grant[]): GrantStore {
  const byPrincipal = new Map<string, Grant[]>();
  for (const grant of grants) {
    const list = byPrincipal.get(grant.principal) ?? [];
    list.push(grant);
    byPrincipal.set(grant.principal, list);
  }
  return {
    grantsFor(principals: readonly string[]): Promise<readonly Grant[]> {
      const unique = [...new Set(principals)];
      return Promise.resolve(unique.flatMap((principal) => byPrincipal.get(principal) ?? []));
    },
  };
}

/**
 * Reads and validates a JSON array of grant records. Meant for cold start: a missing or bad file throws
 * with the path and the offending record, so the misconfiguration shows before the first request.
 */
export function loadGrantsFile(path: string): Grant[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new GrantRecordError(
      `Cannot read grants file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new GrantRecordError(`Grants file ${path} is not valid JSON.`);
  }
  try {
    return parseGrantRecords(data);
  } catch (error) {
    throw new GrantRecordError(`Grants file ${path}: ${(error as Error).message}`);
  }
}
