// Strict Semantic Versioning 2.0.0: MAJOR.MINOR.PATCH, an optional -prerelease and +build.
// No leading 'v', no missing parts, no leading zeros, as semver.org specifies. Numbers are kept as
// digit strings so that versions beyond 2^53 still compare exactly.

export interface SemVer {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  /** Dot-separated prerelease identifiers; empty for a release. */
  readonly prerelease: readonly string[];
}

/** Longer strings are not versions (npm's semver caps at the same length). */
export const MAX_SEMVER_LENGTH = 256;

const NUMERIC = /^(0|[1-9][0-9]*)$/;
const PRERELEASE_IDENTIFIER = /^(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)$/;
const BUILD_IDENTIFIER = /^[0-9A-Za-z-]+$/;

export function parseSemVer(text: string): SemVer | undefined {
  if (text.length === 0 || text.length > MAX_SEMVER_LENGTH) return undefined;
  const plus = text.indexOf('+');
  const withoutBuild = plus === -1 ? text : text.slice(0, plus);
  if (
    plus !== -1 &&
    !text
      .slice(plus + 1)
      .split('.')
      .every((id) => BUILD_IDENTIFIER.test(id))
  ) {
    return undefined;
  }
  const dash = withoutBuild.indexOf('-');
  const release = dash === -1 ? withoutBuild : withoutBuild.slice(0, dash);
  const parts = release.split('.');
  if (parts.length !== 3 || !parts.every((part) => NUMERIC.test(part))) return undefined;
  const prerelease = dash === -1 ? [] : withoutBuild.slice(dash + 1).split('.');
  if (!prerelease.every((id) => PRERELEASE_IDENTIFIER.test(id))) return undefined;
  return { major: parts[0]!, minor: parts[1]!, patch: parts[2]!, prerelease };
}

function compareNumeric(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Precedence order (build metadata ignored): -1, 0 or 1. */
export function compareSemVer(a: SemVer, b: SemVer): number {
  const release =
    compareNumeric(a.major, b.major) || compareNumeric(a.minor, b.minor) || compareNumeric(a.patch, b.patch);
  if (release !== 0) return release;
  // A release ranks above any of its prereleases.
  if (a.prerelease.length === 0 && b.prerelease.length === 0) return 0;
  if (a.prerelease.length === 0) return 1;
  if (b.prerelease.length === 0) return -1;
  const shared = Math.min(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < shared; i++) {
    const order = comparePrereleaseIdentifier(a.prerelease[i]!, b.prerelease[i]!);
    if (order !== 0) return order;
  }
  return Math.sign(a.prerelease.length - b.prerelease.length);
}

function comparePrereleaseIdentifier(a: string, b: string): number {
  const aNumeric = NUMERIC.test(a);
  const bNumeric = NUMERIC.test(b);
  if (aNumeric && bNumeric) return compareNumeric(a, b);
  // Numeric identifiers rank below alphanumeric ones; alphanumerics compare in ASCII order.
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
