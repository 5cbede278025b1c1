import Mustache

/// The console's pages, as Mustache templates compiled once. Every value is HTML-escaped
/// (`{{…}}`); only `body` and `chart`, which the console renders itself, are inserted raw.
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in sources {
            // The templates are fixed text; one that does not parse is a programming error.
            try! library.register(text, named: name)
        }
        return library
    }()

    static func render(_ name: String, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: name) ?? ""
    }

    static let sources: [(String, String)] = [
        ("layout", """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Switchboard</title>
        <link rel="stylesheet" href="/console/static/console.css">
        </head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>
        <span class="brand">Switchboard</span>
        {{#signedIn}}
        <nav aria-label="Sections">
        {{#auditor}}<a href="/console/audit">Exchanges</a><a href="/console/audit/report">Report</a><a href="/console/audit/verify">Verify the log</a>{{/auditor}}
        </nav>
        <form method="post" action="/console/sign-out" class="who"><input type="hidden" name="csrf" value="{{csrf}}"><span>{{name}} ({{role}})</span> <button type="submit">Sign out</button></form>
        {{/signedIn}}
        </header>
        <main id="main">
        <h1>{{title}}</h1>
        {{{body}}}
        </main>
        </body>
        </html>
        """),
        ("sign-in", """
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/console/sign-in" class="sign-in">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="token">Management token</label>
        <input id="token" name="token" type="password" autocomplete="off" required spellcheck="false">
        <p class="hint">The same bearer token as the management API (<code>sbt_…</code>). Auditors see the audit log; administrators the routing tables.</p>
        <button type="submit">Sign in</button>
        </form>
        """),
        ("search", """
        <form method="get" action="/console/audit" class="filters" aria-label="Search the audit log">
        {{#fields}}
        <label>{{label}}
        {{#options}}<select name="{{name}}"><option value="">any</option>{{#choices}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/choices}}</select>{{/options}}
        {{^options}}<input name="{{name}}" type="{{type}}" value="{{value}}"{{#pattern}} pattern="{{pattern}}"{{/pattern}}>{{/options}}
        </label>
        {{/fields}}
        <button type="submit">Search</button> <a href="/console/audit">Clear</a>
        </form>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{^error}}
        <p class="actions">Export these results: <a class="button" href="/console/audit/export?{{query}}&amp;format=csv">CSV</a> <a class="button" href="/console/audit/export?{{query}}&amp;format=fhir">FHIR AuditEvent</a></p>
        <table>
        <caption>{{count}} records on this page, newest first</caption>
        <thead><tr>{{#columns}}<th scope="col"{{#sorted}} aria-sort="{{direction}}"{{/sorted}}><a href="/console/audit?{{query}}&amp;sort={{key}}">{{label}}</a></th>{{/columns}}</tr></thead>
        <tbody>
        {{#records}}
        <tr><td><a href="/console/audit/exchanges/{{id}}">{{received}}</a></td><td>{{trace}}</td><td>{{from}}</td><td>{{to}}</td><td>{{interaction}}</td><td>{{method}}</td><td>{{status}}</td><td>{{outcome}}</td><td class="number">{{duration}}</td></tr>
        {{/records}}
        {{^records}}<tr><td colspan="9">No records match.</td></tr>{{/records}}
        </tbody>
        </table>
        {{#next}}<p><a class="button" href="/console/audit?{{next}}">Next page</a></p>{{/next}}
        {{/error}}
        """),
        ("record", """
        <p><a href="/console/audit">Back to the search</a>{{#trace}} · <a href="/console/audit?trace-id={{trace}}">Every exchange of trace {{trace}}</a>{{/trace}}{{#correlation}} · <a href="/console/audit?correlation-id={{correlation}}">Every exchange of correlation {{correlation}}</a>{{/correlation}}</p>
        <dl class="record">
        {{#fields}}<dt>{{label}}</dt><dd>{{value}}</dd>{{/fields}}
        </dl>
        """),
        ("verify", """
        <p class="{{#intact}}ok{{/intact}}{{^intact}}error{{/intact}}" role="status">{{summary}}</p>
        <table>
        <caption>Each node's hash chain, checked now</caption>
        <thead><tr><th scope="col">Node</th><th scope="col">Records</th><th scope="col">Sequence</th><th scope="col">Result</th></tr></thead>
        <tbody>{{#chains}}<tr><td>{{node}}</td><td class="number">{{records}}</td><td>{{range}}</td><td>{{result}}</td></tr>{{/chains}}</tbody>
        </table>
        """),
        ("report", """
        <form method="get" action="/console/audit/report" class="filters" aria-label="Report period">
        <label>From <input name="since" type="date" value="{{since}}"></label>
        <label>Until <input name="until" type="date" value="{{until}}"></label>
        <button type="submit">Report</button>
        </form>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{#report}}
        <p>{{exchanges}} exchanges: {{forwarded}} forwarded, {{refused}} refused, {{errors}} errors ({{errorRate}}).</p>
        <h2>Exchanges per day by provider</h2>
        {{{dayChart}}}
        <h2>Refusals by rule</h2>
        {{{ruleChart}}}
        <h2>Latency percentiles (whole exchange)</h2>
        {{{latencyChart}}}
        {{/report}}
        """),
        ("message", """
        <p class="{{kind}}" role="alert">{{message}}</p>
        {{#link}}<p><a href="{{href}}">{{text}}</a></p>{{/link}}
        """),
    ]

    /// The console's only stylesheet (served by Switchboard; nothing loads from elsewhere).
    static let css = """
    :root { font-family: system-ui, sans-serif; color: #1d1d1f; background: #fff; }
    body { margin: 0; }
    .skip { position: absolute; left: -1000px; } .skip:focus { left: 1rem; top: 1rem; background: #ffd; padding: .5rem; }
    header { display: flex; gap: 1.5rem; align-items: center; padding: .75rem 1.5rem; background: #003087; color: #fff; }
    header a { color: #fff; margin-right: 1rem; } .brand { font-weight: 700; } .who { margin-left: auto; }
    main { padding: 1rem 1.5rem; max-width: 80rem; }
    .filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; margin-bottom: 1rem; }
    .filters label { display: flex; flex-direction: column; font-size: .85rem; }
    input, select, button { font: inherit; padding: .3rem .4rem; }
    button, .button { background: #005eb8; color: #fff; border: 0; padding: .4rem .8rem; border-radius: 4px; text-decoration: none; }
    table { border-collapse: collapse; width: 100%; } caption { text-align: left; padding: .5rem 0; color: #555; }
    th, td { border-bottom: 1px solid #ddd; padding: .35rem .5rem; text-align: left; font-size: .9rem; } td.number { text-align: right; }
    .error { color: #a00; font-weight: 600; } .ok { color: #070; font-weight: 600; }
    dl.record { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; } dt { font-weight: 600; }
    .sign-in { display: flex; flex-direction: column; max-width: 28rem; gap: .5rem; } .hint { color: #555; font-size: .85rem; }
    svg text { font-size: 11px; fill: #1d1d1f; } svg rect { fill: #005eb8; }
    :focus-visible { outline: 3px solid #ffb81c; }
    """
}
