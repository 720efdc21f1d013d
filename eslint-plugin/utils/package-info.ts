import { findPackageInfo, type PackageInfo } from '@bounded/policy';

/** eslint-plugin-bounded's own name and version, from its package.json (source or dist). */
export function packageInfo(): PackageInfo {
  // A bundle of the sources (the test harness's worker threads) has no package.json above it.
  return findPackageInfo('eslint-plugin-bounded', import.meta.url, { name: 'eslint-plugin-bounded', version: '0.0.0-unpackaged' });
}
