// Copies the compiled GOV.UK Frontend and axe-core into dist/, which Django serves as static files.
// No bundler: GOV.UK Frontend ships compiled CSS and an ES module; we only fix the CSS asset paths.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const govuk = join(here, 'node_modules', 'govuk-frontend', 'dist', 'govuk')
const dist = join(here, 'dist')

rmSync(dist, { recursive: true, force: true })
mkdirSync(join(dist, 'govuk'), { recursive: true })

// The GDS Transport typeface and the crown are reserved for GOV.UK's own services, so DigiGov uses the
// design system's components with a system font: drop the @font-face rules and name our own stack instead.
const FONT_STACK = 'arial,"Helvetica Neue",helvetica,sans-serif'
const css = readFileSync(join(govuk, 'govuk-frontend.min.css'), 'utf8')
  .replace(/@font-face\{font-family:GDS Transport;[^}]*\}/g, '')
  .replaceAll('font-family:GDS Transport,arial,sans-serif', `font-family:${FONT_STACK}`)
  .replaceAll('font-family:GDS Transport', `font-family:${FONT_STACK}`)
  .replace(/\/\*# sourceMappingURL=.*?\*\/\s*$/, '')
if (css.includes('GDS Transport')) throw new Error('govuk-frontend.min.css still names the GDS Transport font')
if (css.includes('/assets/fonts/')) throw new Error('govuk-frontend.min.css still loads GOV.UK fonts')
writeFileSync(join(dist, 'govuk', 'govuk-frontend.min.css'), css)

const js = readFileSync(join(govuk, 'govuk-frontend.min.js'), 'utf8').replace(/\/\/# sourceMappingURL=.*$/m, '')
writeFileSync(join(dist, 'govuk', 'govuk-frontend.min.js'), js)

// Our own small additions: app.css (a few extra styles) and init.js (starts GOV.UK Frontend's components).
cpSync(join(here, 'src'), join(dist, 'app'), { recursive: true })

mkdirSync(join(dist, 'axe'), { recursive: true })
cpSync(join(here, 'node_modules', 'axe-core', 'axe.min.js'), join(dist, 'axe', 'axe.min.js'))

console.log(`built ${dist}`)
