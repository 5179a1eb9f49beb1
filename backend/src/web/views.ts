import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PanelError } from '../errors.js';

/** Data every page gets from the layout: who is logged in, the CSRF token, the proxy prefix. */
export interface LayoutData {
  title: string;
  basePath: string;
  csrfToken: string | null;
  user: { name: string; role: string; isAdmin: boolean } | null;
  /** Key of the nav entry to mark as current. */
  nav?: string;
}

/**
 * Renders views/pages/<name>.hbs inside views/layouts/main.hbs with views/partials/*.hbs.
 * Everything is compiled once at start: a missing or broken template fails the start, not a request.
 */
export class ViewRenderer {
  private readonly hbs = Handlebars.create();
  private readonly pages = new Map<string, Handlebars.TemplateDelegate>();
  private readonly layout: Handlebars.TemplateDelegate;

  constructor(readonly viewsDir: string) {
    this.hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    // Times arrive as ISO strings; show them the way an admin reads logs: minutes, in UTC.
    this.hbs.registerHelper('when', (iso: unknown) =>
      typeof iso === 'string' && !Number.isNaN(Date.parse(iso)) ? `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC` : '',
    );
    this.hbs.registerHelper('json', (value: unknown) => new Handlebars.SafeString(JSON.stringify(value).replace(/</g, '\\u003c')));
    try {
      for (const file of readdirSync(join(viewsDir, 'partials')).filter((f) => f.endsWith('.hbs'))) {
        this.hbs.registerPartial(basename(file, '.hbs'), readFileSync(join(viewsDir, 'partials', file), 'utf8'));
      }
      for (const file of readdirSync(join(viewsDir, 'pages')).filter((f) => f.endsWith('.hbs'))) {
        this.pages.set(basename(file, '.hbs'), this.hbs.compile(readFileSync(join(viewsDir, 'pages', file), 'utf8'), { strict: false }));
      }
      this.layout = this.hbs.compile(readFileSync(join(viewsDir, 'layouts', 'main.hbs'), 'utf8'));
    } catch (err) {
      throw new PanelError('views_unreadable', `Cannot load the page templates from ${viewsDir}.`, {
        hint: 'run the panel from the repository (or the installed bundle) so that views/ sits beside package.json',
        cause: err,
      });
    }
    // Precompile now so template syntax errors surface at start.
    for (const page of this.pages.values()) page({});
  }

  render(page: string, layout: LayoutData, model: object): string {
    const template = this.pages.get(page);
    if (!template) throw new PanelError('view_missing', `No page template views/pages/${page}.hbs.`);
    const data = { ...model, layout };
    return this.layout({ layout, body: new Handlebars.SafeString(template(data)) });
  }
}
