// Types of electron-binary.mjs, which runs under plain Node before any TypeScript tooling.
export function installedElectronBinary(root: string): string | null;
export function downloadElectronBinary(root: string): Promise<{ binary: string | null; reason: string }>;
