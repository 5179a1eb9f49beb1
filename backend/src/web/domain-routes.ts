import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { PanelError, ValidationError } from '../errors.js';
import { planDigest } from '../jobs/plan-digest.js';
import { buildDomainModel, PLAN_DIGEST_FIELD, readRequest, verdictLabel, type DomainPageOptions, type EditForm } from './domain-model.js';
import { userOf } from './http-context.js';
import { changeToUndo, rollbackCheckpointFor, rollbackRefusal } from './rollback-rule.js';
import type { DomainHistoryEntry, DomainPort, DomainRequest, PanelServices } from './services.js';
import { assertCanSeeDomain, canSeeJob, serverScopeOf } from './users.js';
import type { LayoutData, ViewRenderer } from './views.js';

export interface DomainRoutesConfig {
  services: PanelServices;
  views: ViewRenderer;
  basePath: string;
  layoutFor: (res: Response, title: string, nav?: string) => LayoutData;
}

/**
 * The domain page and its actions: plan (profile, edits, rollback) -> confirm -> a job whose steps the
 * page follows live. Every route checks that the user may see the domain before touching anything.
 */
export function domainRoutes(config: DomainRoutesConfig): Router {
  const router = express.Router();
  const { services, views, basePath } = config;

  const domainParam = (req: Request, res: Response): string => {
    const domain = String(req.params.domain).toLowerCase();
    assertCanSeeDomain(userOf(res), domain);
    return domain;
  };
  /** Lookups for a customer stay on their own server: a namesake elsewhere is someone else's domain. */
  const serverOf = (res: Response): string | undefined => serverScopeOf(userOf(res));
  const onServer = (res: Response): { onServer?: string } => {
    const server = serverOf(res);
    return server === undefined ? {} : { onServer: server };
  };

  const port = (): DomainPort => {
    if (!services.domains)
      throw new PanelError('domains_unavailable', 'Domain changes are not connected to this panel.', {
        hint: 'start it with `passenger-panel serve`',
      });
    return services.domains;
  };

  const history = async (domain: string, onServer: string | undefined): Promise<DomainHistoryEntry[]> =>
    services.domains ? services.domains.history(domain, onServer) : [];

  /** Whether the user may roll the domain back now (admins: whenever a change wrote; customers: see rollback-rule.ts). */
  const mayRollBack = async (res: Response, domain: string, changes: DomainHistoryEntry[]): Promise<boolean> => {
    if (!services.domains || !changeToUndo(changes)) return false;
    const newest = await services.domains.newestCheckpoint(domain, serverOf(res));
    return newest !== null && rollbackRefusal(userOf(res), changes, newest) === null;
  };

  const page = async (
    req: Request,
    res: Response,
    domain: string,
    extra: { form?: EditForm; plan?: DomainPageOptions['plan']; error?: string | null; status?: number } = {},
  ): Promise<void> => {
    const detail = services.domains ? await services.domains.detail(domain, serverOf(res)) : null;
    const changes = await history(domain, serverOf(res));
    const user = userOf(res);
    const requestedJob = typeof req.query.job === 'string' ? req.query.job : null;
    const scope = requestedJob ? services.jobs?.scope(requestedJob) : undefined;
    const jobId = scope && canSeeJob(user, scope) && scope.domains.includes(domain) ? scope.id : null;
    const model = buildDomainModel({
      detail,
      domainName: domain,
      basePath,
      history: changes,
      canRollback: await mayRollBack(res, domain, changes),
      jobId,
      ...(extra.form ? { form: extra.form } : {}),
      ...(extra.plan ? { plan: extra.plan } : {}),
      error:
        extra.error ??
        (services.domains ? (detail ? null : `No server of this panel hosts ${domain}, or its server cannot be read right now.`) : null),
    });
    res
      .status(extra.status ?? 200)
      .send(views.render('domain', config.layoutFor(res, domain, 'overview'), { ...model, connected: Boolean(services.domains) }));
  };

  router.get('/domains/:domain', async (req, res, next) => {
    try {
      await page(req, res, domainParam(req, res));
    } catch (err) {
      next(err);
    }
  });

  /** Small JSON for the page script: the verdict after a job ended. */
  router.get('/api/domains/:domain', async (req, res, next) => {
    try {
      const domain = domainParam(req, res);
      const detail = await port().detail(domain, serverOf(res));
      if (!detail) throw new ValidationError(`No server of this panel hosts ${domain}.`);
      const headline = detail.diagnosis.findings.find((f) => f.severity !== 'info') ?? null;
      res.json({
        domain,
        server: detail.server,
        verdict: detail.diagnosis.verdict,
        verdictLabel: verdictLabel(detail.diagnosis.verdict),
        mainFinding: headline?.title ?? null,
        readAt: detail.readAt,
      });
    } catch (err) {
      next(err);
    }
  });

  /**
   * A rollback is planned and carried out against the newest checkpoint as the server sees it, never one
   * named by the form, and only when the user may undo that change (403 otherwise).
   */
  const pinRollback = async (res: Response, domain: string, request: DomainRequest): Promise<DomainRequest> => {
    if (request.kind !== 'rollback') return request;
    const changes = await history(domain, serverOf(res));
    const newest = await port().newestCheckpoint(domain, serverOf(res));
    return { kind: 'rollback', to: rollbackCheckpointFor(userOf(res), changes, newest) };
  };

  /** Both form posts read the same request; a refused form is shown again with its errors. */
  const withRequest =
    (act: (req: Request, res: Response, domain: string, request: DomainRequest, form: EditForm) => Promise<void>) =>
    async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        const domain = domainParam(req, res);
        const detail = await port().detail(domain, serverOf(res));
        if (!detail) return await page(req, res, domain, { status: 404 });
        const { request, form } = readRequest(req.body as Record<string, unknown>, detail.domain);
        if (!request) return await page(req, res, domain, { form, status: 400 });
        await act(req, res, domain, await pinRollback(res, domain, request), form);
      } catch (err) {
        next(err);
      }
    };

  router.post(
    '/domains/:domain/plan',
    withRequest(async (req, res, domain, request, form) => {
      try {
        const plan = await port().plan(domain, request, serverOf(res));
        await page(req, res, domain, { form, plan: { plan, request, digest: planDigest(plan) } });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        const field = err.field && err.field !== 'directive' ? err.field : '_form';
        await page(req, res, domain, {
          form: { ...form, errors: { ...form.errors, [field]: err.describe() } },
          error: err.describe(),
          status: 400,
        });
      }
    }),
  );

  router.post(
    '/domains/:domain/apply',
    withRequest(async (req, res, domain, request, form) => {
      const confirmed = (req.body as Record<string, unknown>)[PLAN_DIGEST_FIELD];
      if (typeof confirmed !== 'string' || !/^[0-9a-f]{64}$/.test(confirmed))
        throw new ValidationError('This confirmation does not name the plan it confirms.', {
          field: PLAN_DIGEST_FIELD,
          hint: 'open the plan again from the domain page and confirm it there',
        });
      // The plan again, now: if it is not the one the user saw, show the new one instead of carrying it out.
      const plan = await port().plan(domain, request, serverOf(res));
      const digest = planDigest(plan);
      if (digest !== confirmed)
        return await page(req, res, domain, {
          form,
          plan: { plan, request, digest },
          error: `${domain} changed since the plan was shown (a file was edited, another change ran, or the request differs). Nothing was written; this is the plan as it stands now.`,
          status: 409,
        });
      const { jobId } = await port().start(domain, request, userOf(res).name, { expectPlan: digest, ...onServer(res) });
      res.redirect(303, `${basePath}/domains/${encodeURIComponent(domain)}?job=${encodeURIComponent(jobId)}#progress`);
    }),
  );

  return router;
}
