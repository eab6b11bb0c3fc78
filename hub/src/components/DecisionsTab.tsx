// Decisions: the pending gate questions, with the same buttons as the Slack card. A click here is the
// same single-shot decision as a Slack click (POST /api/approvals/{threadId}); the function app then
// updates the Slack card. The list is reloaded after every answer, whatever it was.
import { Button } from 'azure-devops-ui/Button.js';
import { ButtonGroup } from 'azure-devops-ui/ButtonGroup.js';
import { Card } from 'azure-devops-ui/Card.js';
import { Dialog } from 'azure-devops-ui/Dialog.js';
import { MessageCard, MessageCardSeverity } from 'azure-devops-ui/MessageCard.js';
import * as React from 'react';
import { GATE_ACTIONS, type GateButton, type GateSpec } from '../../../core/gate-registry.ts';
import type { Fact, FactOf } from '../../../core/facts.ts';
import type { DecisionTarget, GateKind } from '../../../core/model.ts';
import { ApiError, alreadyDecidedText, type DecisionView } from '../api.ts';
import {
  branchName,
  formatCount,
  formatTime,
  formatUsd,
  MISSING,
  orMissing,
  shortCommit,
} from '../format.ts';
import { useHub } from './hub-context.ts';
import { PullRequestLink, TicketLink, UrlLink } from './Links.tsx';
import { EmptyState, errorText, LoadView } from './LoadState.tsx';
import { useLoad } from './use-load.ts';

interface Notice {
  severity: MessageCardSeverity;
  text: string;
}

export function DecisionsTab(): React.ReactElement {
  const { api } = useHub();
  const [load, reload] = useLoad(() => api.pendingDecisions(), [api]);
  const [notice, setNotice] = React.useState<Notice | undefined>();
  const onAnswered = React.useCallback(
    (result: Notice) => {
      setNotice(result);
      reload();
    },
    [reload],
  );
  return (
    <div className="flex-column rhythm-vertical-16">
      {notice ? (
        <MessageCard
          className="ra-decision-notice"
          severity={notice.severity}
          onDismiss={() => setNotice(undefined)}
        >
          {notice.text}
        </MessageCard>
      ) : null}
      <LoadView load={load} label="Loading pending decisions…" onRetry={reload}>
        {(decisions) =>
          decisions.length === 0 ? (
            <EmptyState
              icon="CheckMark"
              title="Nothing waits for a decision"
              detail="Gate questions appear here and in Slack."
            />
          ) : (
            <div className="ra-cards rhythm-vertical-16">
              {decisions.map((decision) => (
                <DecisionCard key={decision.id} decision={decision} onAnswered={onAnswered} />
              ))}
            </div>
          )
        }
      </LoadView>
    </div>
  );
}

interface Choice {
  button: GateButton;
  /** The API verb: the button's own label (merge, create, trigger, approve, cancel, skip). */
  action: string;
}

function DecisionCard(props: {
  decision: DecisionView;
  onAnswered: (notice: Notice) => void;
}): React.ReactElement {
  const { decision } = props;
  const { api } = useHub();
  const [choice, setChoice] = React.useState<Choice | undefined>();
  const [busy, setBusy] = React.useState(false);
  // A gate this hub does not know yet (a newer function app) is listed without buttons.
  const spec: GateSpec | undefined = GATE_ACTIONS[decision.gate];

  const answer = async (chosen: Choice) => {
    setBusy(true);
    try {
      await api.decide(decision.threadId, { action: chosen.action, decisionId: decision.id });
      props.onAnswered({ severity: MessageCardSeverity.Info, text: answeredText(decision, chosen) });
    } catch (error) {
      const conflict = error instanceof ApiError && error.kind === 'conflict';
      props.onAnswered({
        severity: conflict ? MessageCardSeverity.Warning : MessageCardSeverity.Error,
        text: `${gateLabel(decision)}: ${conflict ? alreadyDecidedText(error) : errorText(error)}`,
      });
    } finally {
      setBusy(false);
      setChoice(undefined);
    }
  };

  return (
    <Card
      className="ra-decision-card"
      titleProps={{ text: spec ? `Gate ${spec.number} · ${spec.title}` : 'Unknown gate', ariaLevel: 2 }}
      headerDescriptionProps={{ text: orMissing(decision.repo) }}
    >
      <div className="flex-column rhythm-vertical-16 full-width">
        <DecisionFacts decision={decision} />
        {spec ? (
          <ButtonGroup className="ra-decision-buttons">
            <Button
              text={spec.approve.label}
              primary
              disabled={busy}
              onClick={() => setChoice({ button: spec.approve, action: verb(spec.approve) })}
            />
            <Button
              text={spec.reject.label}
              danger={spec.reject.style === 'danger'}
              disabled={busy}
              onClick={() => setChoice({ button: spec.reject, action: verb(spec.reject) })}
            />
          </ButtonGroup>
        ) : (
          <div className="secondary-text">
            This hub does not know this gate: answer it in Slack or through the API.
          </div>
        )}
      </div>
      {choice && spec ? (
        <ConfirmDecision
          decision={decision}
          spec={spec}
          choice={choice}
          busy={busy}
          onConfirm={() => void answer(choice)}
          onDismiss={() => setChoice(undefined)}
        />
      ) : null}
    </Card>
  );
}

function ConfirmDecision(props: {
  decision: DecisionView;
  spec: GateSpec;
  choice: Choice;
  busy: boolean;
  onConfirm: () => void;
  onDismiss: () => void;
}): React.ReactElement {
  const { decision, choice } = props;
  return (
    <Dialog
      className="ra-confirm"
      titleProps={{ text: `${choice.button.label}: ${gateLabel(decision)}?` }}
      onDismiss={props.onDismiss}
      footerButtonProps={[
        { text: 'Back', onClick: props.onDismiss, disabled: props.busy },
        {
          text: `Confirm ${choice.button.label}`,
          primary: choice.button.outcome === 'approved',
          danger: choice.button.outcome === 'rejected' && props.spec.reject.style === 'danger',
          onClick: props.onConfirm,
          disabled: props.busy,
        },
      ]}
    >
      {`${subject(decision)}. This is the same single-shot decision as the Slack button: it cannot be undone, and the Slack card will be updated.`}
    </Dialog>
  );
}

function verb(button: GateButton): string {
  return button.label.toLowerCase();
}

function gateLabel(decision: DecisionView): string {
  return `gate ${decision.gateNumber} for ${orMissing(decision.repo)}`;
}

function answeredText(decision: DecisionView, choice: Choice): string {
  const wording: GateSpec['wording'] | undefined = GATE_ACTIONS[decision.gate]?.wording;
  const done = choice.button.outcome === 'approved' ? wording?.approvedVerb : wording?.rejectedVerb;
  return `${done ?? choice.button.label}: ${gateLabel(decision)} is decided; the Slack card is being updated.`;
}

// ---------------------------------------------------------------------------------------------
// What the decision is about: its gate's facts (core/facts.ts, GATE_ACTIONS.facts) from the Slack
// card's details, else from the target; each kind of fact is rendered one way. A new gate needs nothing
// here (the confirmation's subject below falls back to repo and version).

type Row = [label: string, value: React.ReactNode];

function targetOf<G extends GateKind>(
  decision: DecisionView,
  gate: G,
): Extract<DecisionTarget, { gate: G }> | undefined {
  const target = decision.target;
  return target.gate === gate ? (target as Extract<DecisionTarget, { gate: G }>) : undefined;
}

/** Gates 2–5 name a version in their target. */
function versionOf(decision: DecisionView): string | undefined {
  return 'version' in decision.target ? decision.target.version : undefined;
}

function subject(decision: DecisionView): string {
  const repo = orMissing(decision.repo);
  const version = orMissing(versionOf(decision));
  const merge = targetOf(decision, 'merge_pr');
  if (merge) return `PR #${merge.prId} in ${repo}`;
  const stage = targetOf(decision, 'approve_stage');
  if (stage) return `${repo} ${version} to ${stage.stage}`;
  return `${repo} ${version}`;
}

/** The value of a fact shown as a row (notes and warnings are shown under the rows). */
type RowFact = Exclude<Fact, { kind: 'note' | 'warning' }>;

const FACT_VIEWS: { readonly [K in RowFact['kind']]: (fact: FactOf<K>) => React.ReactNode } = {
  person: (fact) => orMissing(fact.name),
  version: (fact) => orMissing(fact.version),
  stage: (fact) => orMissing(fact.stage),
  count: (fact) => formatCount(fact.count),
  usd: (fact) => formatUsd(fact.usd),
  commit: (fact) => shortCommit(fact.commit),
  branch: (fact) => {
    const source = branchName(fact.source);
    const into = branchName(fact.target);
    return source ? `${source}${into ? ` → ${into}` : ''}` : MISSING;
  },
  pullRequest: (fact) =>
    fact.prId === undefined ? (
      MISSING
    ) : (
      <PullRequestLink
        repo={fact.repo}
        prId={fact.prId}
        {...optional('url', fact.url)}
        {...optional('title', fact.title)}
      />
    ),
  ticket: (fact) => (fact.key ? <TicketLink ticketKey={fact.key} jiraBaseUrl={fact.jiraBaseUrl} /> : MISSING),
  tickets: (fact) => (
    <TicketKeys jiraBaseUrl={fact.jiraBaseUrl} tickets={fact.tickets.map((ticket) => ticket.key)} />
  ),
  links: (fact) =>
    fact.links.length === 0 ? (
      MISSING
    ) : (
      <span className="rhythm-horizontal-8">
        {fact.links.map((link) => (
          <UrlLink key={`${link.text} ${link.url ?? ''}`} url={link.url}>
            {link.text}
          </UrlLink>
        ))}
      </span>
    ),
  link: (fact) => <UrlLink url={fact.url}>{fact.url ? fact.text : MISSING}</UrlLink>,
};

function factRow(fact: RowFact): Row {
  const view = FACT_VIEWS[fact.kind] as (fact: RowFact) => React.ReactNode;
  return [fact.label, view(fact)];
}

function optional<K extends string>(name: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, string>);
}

function TicketKeys(props: { tickets: string[]; jiraBaseUrl: string | undefined }): React.ReactElement {
  if (props.tickets.length === 0) return <span>{MISSING}</span>;
  return (
    <span className="rhythm-horizontal-8">
      {props.tickets.map((key) => (
        <TicketLink key={key} ticketKey={key} jiraBaseUrl={props.jiraBaseUrl} />
      ))}
    </span>
  );
}

function DecisionFacts(props: { decision: DecisionView }): React.ReactElement {
  const { decision } = props;
  // A gate this hub does not know yet (a newer function app) shows only when it was asked.
  const facts = GATE_ACTIONS[decision.gate]?.facts(decision.details, decision.target) ?? [];
  const rows: Row[] = [
    ...facts.filter((fact): fact is RowFact => fact.kind !== 'note' && fact.kind !== 'warning').map(factRow),
    ['Asked', formatTime(decision.createdAt)],
    ...(decision.expiresAt ? ([['Expires', formatTime(decision.expiresAt)]] satisfies Row[]) : []),
  ];
  return (
    <div className="flex-column rhythm-vertical-8">
      <dl className="ra-decision-facts">
        {rows.map(([label, value]) => (
          <React.Fragment key={label}>
            <dt className="secondary-text">{label}</dt>
            <dd>{value}</dd>
          </React.Fragment>
        ))}
      </dl>
      {facts.map((fact) =>
        fact.kind === 'note' ? (
          <p key={`note ${fact.label}`} className="ra-review-summary">
            {fact.text}
          </p>
        ) : fact.kind === 'warning' ? (
          <MessageCard key={`warning ${fact.text}`} severity={MessageCardSeverity.Warning}>
            {fact.text}
          </MessageCard>
        ) : null,
      )}
    </div>
  );
}
