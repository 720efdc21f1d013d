import { findPackageInfo, type PackageInfo } from '@bounded/policy';

export type { PackageInfo };

/** bounded's own package.json, found by walking up from this file (source or dist). */
export function packageInfo(): PackageInfo {
  return findPackageInfo('bounded', import.meta.url);
}
