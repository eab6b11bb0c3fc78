// Reviews: the recent AI reviews, newest first: PR (linked), verdict, findings, cost, the PR's total
// over the reviews listed (each push is reviewed: the total is what the PR cost so far), when.
import { Card } from 'azure-devops-ui/Card.js';
import { Pill, PillSize, PillVariant } from 'azure-devops-ui/Pill.js';
import {
  ColumnFill,
  type ITableColumn,
  SimpleTableCell,
  Table,
  TwoLineTableCell,
} from 'azure-devops-ui/Table.js';
import { ArrayItemProvider } from 'azure-devops-ui/Utilities/Provider.js';
import * as React from 'react';
import type { ReviewView } from '../api.ts';
import { formatCount, formatTime, formatUsd, MISSING, orMissing, shortCommit } from '../format.ts';
import { useHub } from './hub-context.ts';
import { PullRequestLink } from './Links.tsx';
import { EmptyState, LoadView } from './LoadState.tsx';
import { useLoad } from './use-load.ts';

export function ReviewsTab(): React.ReactElement {
  const { api } = useHub();
  const [load, reload] = useLoad(async () => (await api.reviews()).sort(newestFirst), [api]);
  return (
    <LoadView load={load} label="Loading reviews…" onRetry={reload}>
      {(reviews) =>
        reviews.length === 0 ? (
          <EmptyState
            icon="Comment"
            title="No AI reviews yet"
            detail="Every reviewed pull request is listed here."
          />
        ) : (
          <ReviewsTable reviews={reviews} />
        )
      }
    </LoadView>
  );
}

function newestFirst(a: ReviewView, b: ReviewView): number {
  return (Date.parse(b.createdAt ?? '') || 0) - (Date.parse(a.createdAt ?? '') || 0);
}

const VERDICTS: Readonly<
  Record<string, { label: string; color: { red: number; green: number; blue: number } }>
> = {
  approve: { label: 'Approve', color: { red: 85, green: 163, blue: 98 } },
  request_changes: { label: 'Request changes', color: { red: 205, green: 74, blue: 69 } },
  needs_human_review: { label: 'Needs human review', color: { red: 214, green: 127, blue: 60 } },
};

function VerdictPill(props: { verdict: string | undefined }): React.ReactElement {
  const known = props.verdict ? VERDICTS[props.verdict] : undefined;
  if (!known) return <span>{orMissing(props.verdict)}</span>;
  return (
    <Pill className="ra-verdict" size={PillSize.compact} variant={PillVariant.colored} color={known.color}>
      {known.label}
    </Pill>
  );
}

function column(
  id: string,
  name: string,
  width: number,
  render: (review: ReviewView) => React.ReactNode,
): ITableColumn<ReviewView> {
  return {
    id,
    name,
    width,
    renderCell: (_row, columnIndex, tableColumn, review) => (
      <SimpleTableCell key={id} columnIndex={columnIndex} tableColumn={tableColumn}>
        {render(review)}
      </SimpleTableCell>
    ),
  };
}

function columns(prTotal: (review: ReviewView) => number | undefined): ITableColumn<ReviewView>[] {
  return [
    {
      id: 'pr',
      name: 'Pull request',
      width: 420,
      renderCell: (_row, columnIndex, tableColumn, review) => (
        <TwoLineTableCell
          key="pr"
          columnIndex={columnIndex}
          tableColumn={tableColumn}
          line1={
            review.prId === undefined ? (
              MISSING
            ) : (
              <PullRequestLink
                repo={review.repo}
                prId={review.prId}
                {...(review.prUrl ? { url: review.prUrl } : {})}
                {...(review.prTitle ? { title: review.prTitle } : {})}
              />
            )
          }
          line2={
            <span className="secondary-text">{`${review.repo} · ${shortCommit(review.sourceCommit)}`}</span>
          }
        />
      ),
    },
    column('verdict', 'Verdict', 180, (review) => <VerdictPill verdict={review.verdict} />),
    column('findings', 'Findings', 100, (review) => formatCount(review.findingsCount)),
    column('cost', 'Cost', 100, (review) => formatUsd(review.costUsd)),
    column('total', 'PR total', 110, (review) => formatUsd(prTotal(review))),
    column('when', 'Reviewed', 200, (review) => formatTime(review.createdAt)),
    // Takes the remaining width, as Azure DevOps tables do.
    ColumnFill as unknown as ITableColumn<ReviewView>,
  ];
}

function ReviewsTable(props: { reviews: ReviewView[] }): React.ReactElement {
  const provider = React.useMemo(() => new ArrayItemProvider(props.reviews), [props.reviews]);
  const tableColumns = React.useMemo(() => {
    const totals = new Map<string, number>();
    const key = (review: ReviewView) => `${review.repo}#${review.prId}`;
    for (const review of props.reviews)
      if (review.prId !== undefined && typeof review.costUsd === 'number')
        totals.set(key(review), (totals.get(key(review)) ?? 0) + review.costUsd);
    return columns((review) => (review.prId === undefined ? undefined : totals.get(key(review))));
  }, [props.reviews]);
  return (
    <Card className="ra-reviews-card bolt-table-card" contentProps={{ contentPadding: false }}>
      <Table<ReviewView> ariaLabel="AI reviews" columns={tableColumns} itemProvider={provider} role="table" />
    </Card>
  );
}
