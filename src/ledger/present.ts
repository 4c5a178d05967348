/** Ledger rows as the read API and the cards show them: with the derived overdue flag and traffic light. */

import type { TrafficLight } from '../domain/hazard.js';
import { daysBetween } from '../domain/index.js';
import type { LocalDate } from '../domain/vocabulary.js';
import type { LedgerRow } from './query.js';

/** Same rule as domain `isOverdue`: past the deadline's local day while still with the responsible side. */
export function isRowOverdue(row: Pick<LedgerRow, 'status' | 'deadline'>, today: LocalDate): boolean {
  return (row.status === 'reported' || row.status === 'rectifying') && row.deadline < today;
}

/** Same rule as domain `trafficLight`: red overdue, yellow due within 3 days, green otherwise. */
export function rowLight(row: Pick<LedgerRow, 'status' | 'deadline'>, today: LocalDate, dueSoonDays = 3): TrafficLight {
  if (isRowOverdue(row, today)) return 'red';
  if (row.status !== 'reported' && row.status !== 'rectifying') return 'green';
  return daysBetween(today, row.deadline) <= dueSoonDays ? 'yellow' : 'green';
}

/** The JSON shape of a hazard in the read API. */
export function hazardJson(row: LedgerRow, today: LocalDate) {
  return {
    code: row.code,
    enterprise: { code: row.enterpriseCode, name: row.enterpriseName },
    township: { code: row.townshipCode, name: row.townshipName },
    department: row.departmentName,
    sector: row.sector,
    grade: row.grade,
    status: row.status,
    overdue: isRowOverdue(row, today),
    light: rowLight(row, today),
    description: row.description,
    location: row.location,
    measures: row.measures,
    standard: row.standard,
    deadline: row.deadline,
    reportedAt: row.reportedAt.toISOString(),
    reporter: row.reporterName,
    responsible: row.responsibleName,
    rectification: row.rectification,
    rectifiedAt: row.rectifiedAt?.toISOString() ?? null,
    verifiedBy: row.closedByName,
    closedAt: row.closedAt?.toISOString() ?? null,
    supervision: row.supervision,
    listed: row.listed,
    suspended: row.suspended,
    basis: row.basis === null ? null : { code: row.basisCode, text: row.basis },
    /** How it was found; a 群众举报's tip code (the link back to /api/tips/:code). */
    source: row.source,
    tipCode: row.tipCode,
  };
}
