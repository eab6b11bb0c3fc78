// Loads data for a tab: loading → ready | failed, with a reload that keeps the old data on screen.
import * as React from 'react';

export type Load<T> =
  | { state: 'loading' }
  | { state: 'ready'; data: T; refreshing: boolean }
  | { state: 'failed'; error: unknown };

export function useLoad<T>(load: () => Promise<T>, deps: React.DependencyList): [Load<T>, () => void] {
  const [result, setResult] = React.useState<Load<T>>({ state: 'loading' });
  const [generation, setGeneration] = React.useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to reload
  React.useEffect(() => {
    let current = true;
    setResult((previous) =>
      previous.state === 'ready' ? { ...previous, refreshing: true } : { state: 'loading' },
    );
    load().then(
      (data) => current && setResult({ state: 'ready', data, refreshing: false }),
      (error: unknown) => current && setResult({ state: 'failed', error }),
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);
  const reload = React.useCallback(() => setGeneration((value) => value + 1), []);
  return [result, reload];
}
