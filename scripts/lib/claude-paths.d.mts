export function claudeConfigFile(o?: { platform?: NodeJS.Platform; env?: Record<string, string | undefined>; home?: string }): string;
