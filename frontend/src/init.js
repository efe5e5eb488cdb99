// Loaded as <script type="module">: it only runs in browsers GOV.UK Frontend supports, so the classes that
// switch on the components' enhanced styles are set here rather than by an inline script (the CSP forbids those).
import { initAll } from '../govuk/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
