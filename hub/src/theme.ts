// Light and dark themes for the standalone page. Inside Azure DevOps the host sends its theme and the
// SDK writes it as CSS variables; azure-devops-ui ships no theme of its own (every `var()` has the
// light value as its fallback), so standalone we set the variables ourselves, the same way.
import type { ThemeName } from './sdk.ts';

type ThemeVariables = Readonly<Record<string, string>>;

/** The light theme: azure-devops-ui's own fallbacks, written out so switching back is exact. */
const LIGHT: ThemeVariables = {
  'background-color': 'rgba(255, 255, 255, 1)',
  'callout-background-color': 'rgba(255, 255, 255, 1)',
  'callout-filtered-background-color': 'rgba(255, 255, 255, 0.86)',
  'text-primary-color': 'rgba(0, 0, 0, .9)',
  'text-secondary-color': 'rgba(0, 0, 0, .55)',
  'text-disabled-color': 'rgba(0, 0, 0, .38)',
  'communication-foreground': 'rgba(0, 90, 158, 1)',
  'communication-background': 'rgba(0, 120, 212, 1)',
  'text-on-communication-background': 'rgba(255, 255, 255, 1)',
  'focus-border-color': 'rgba(0, 120, 212, 1)',
  'focus-pulse-max-color': 'rgba(0, 120, 212, 0.23)',
  'component-grid-row-hover-color': 'rgba(0, 0, 0, .02)',
  'component-grid-cell-bottom-border-color': 'rgba(234, 234, 234, 1)',
  'component-grid-selected-row-color': 'rgba(222, 236, 249, 1)',
  'component-label-default-color': 'rgba(244, 244, 244, 1)',
  'component-label-default-color-hover': 'rgba(218, 218, 218, 1)',
  'status-error-background': 'rgba(249, 235, 235, 1)',
  'status-error-text': 'rgba(218, 10, 0, 1)',
  'status-success-background': 'rgba(223, 246, 221, 1)',
  'status-warning-background': 'rgba(251, 242, 236, 1)',
  'status-warning-text': 'rgba(184, 94, 6, 1)',
  'palette-neutral-0': '255, 255, 255',
  'palette-neutral-2': '248, 248, 248',
  'palette-neutral-4': '244, 244, 244',
  'palette-neutral-6': '239, 239, 239',
  'palette-neutral-8': '234, 234, 234',
  'palette-neutral-10': '218, 218, 218',
  'palette-neutral-20': '200, 200, 200',
  'palette-neutral-30': '166, 166, 166',
  'palette-neutral-80': '51, 51, 51',
  'palette-neutral-100': '0, 0, 0',
  'palette-black-alpha-2': 'rgba(0, 0, 0, 0.02)',
  'palette-black-alpha-4': 'rgba(0, 0, 0, 0.04)',
  'palette-black-alpha-6': 'rgba(0, 0, 0, 0.06)',
  'palette-black-alpha-8': 'rgba(0, 0, 0, 0.08)',
  'palette-black-alpha-10': 'rgba(0, 0, 0, 0.10)',
  'palette-black-alpha-20': 'rgba(0, 0, 0, 0.20)',
  'palette-black-alpha-30': 'rgba(0, 0, 0, 0.30)',
  'palette-black-alpha-60': 'rgba(0, 0, 0, 0.60)',
  'palette-primary-tint-30': '222, 236, 249',
  'palette-primary-tint-40': '239, 246, 252',
};

/** A dark theme close to Azure DevOps' own: inverted neutrals, white alphas, a lighter blue. */
const DARK: ThemeVariables = {
  'background-color': 'rgba(37, 36, 35, 1)',
  'callout-background-color': 'rgba(37, 36, 35, 1)',
  'callout-filtered-background-color': 'rgba(37, 36, 35, 0.86)',
  'text-primary-color': 'rgba(255, 255, 255, .87)',
  'text-secondary-color': 'rgba(255, 255, 255, .6)',
  'text-disabled-color': 'rgba(255, 255, 255, .38)',
  'communication-foreground': 'rgba(64, 163, 245, 1)',
  'communication-background': 'rgba(0, 120, 212, 1)',
  'text-on-communication-background': 'rgba(255, 255, 255, 1)',
  'focus-border-color': 'rgba(64, 163, 245, 1)',
  'focus-pulse-max-color': 'rgba(64, 163, 245, 0.35)',
  'component-grid-row-hover-color': 'rgba(255, 255, 255, .04)',
  'component-grid-cell-bottom-border-color': 'rgba(59, 58, 57, 1)',
  'component-grid-selected-row-color': 'rgba(0, 60, 110, 1)',
  'component-label-default-color': 'rgba(59, 58, 57, 1)',
  'component-label-default-color-hover': 'rgba(72, 70, 68, 1)',
  'status-error-background': 'rgba(68, 39, 38, 1)',
  'status-error-text': 'rgba(241, 112, 123, 1)',
  'status-success-background': 'rgba(57, 61, 27, 1)',
  'status-warning-background': 'rgba(67, 53, 25, 1)',
  'status-warning-text': 'rgba(252, 225, 0, 1)',
  'palette-neutral-0': '27, 26, 25',
  'palette-neutral-2': '32, 31, 30',
  'palette-neutral-4': '41, 40, 39',
  'palette-neutral-6': '50, 49, 48',
  'palette-neutral-8': '59, 58, 57',
  'palette-neutral-10': '72, 70, 68',
  'palette-neutral-20': '96, 94, 92',
  'palette-neutral-30': '121, 119, 117',
  'palette-neutral-80': '237, 235, 233',
  'palette-neutral-100': '255, 255, 255',
  'palette-black-alpha-2': 'rgba(255, 255, 255, 0.02)',
  'palette-black-alpha-4': 'rgba(255, 255, 255, 0.04)',
  'palette-black-alpha-6': 'rgba(255, 255, 255, 0.06)',
  'palette-black-alpha-8': 'rgba(255, 255, 255, 0.08)',
  'palette-black-alpha-10': 'rgba(255, 255, 255, 0.10)',
  'palette-black-alpha-20': 'rgba(255, 255, 255, 0.20)',
  'palette-black-alpha-30': 'rgba(255, 255, 255, 0.30)',
  'palette-black-alpha-60': 'rgba(255, 255, 255, 0.60)',
  'palette-primary-tint-30': '0, 60, 110',
  'palette-primary-tint-40': '0, 45, 85',
};

export const THEMES: Readonly<Record<ThemeName, ThemeVariables>> = { light: LIGHT, dark: DARK };

/** Writes the theme's variables on the root element and marks the body, as the SDK does for the host's theme. */
export function applyTheme(document: Document, theme: ThemeName): void {
  const root = document.documentElement;
  for (const [name, value] of Object.entries(THEMES[theme])) root.style.setProperty(`--${name}`, value);
  document.body.classList.toggle('ra-theme-dark', theme === 'dark');
  document.body.classList.toggle('ra-theme-light', theme === 'light');
  root.dataset.theme = theme;
}
