// Shoots HTML documents of pages (helpers/screens.js) in headless Chromium and checks their
// layout there: `node shoot.js <jobs.json> <results.json>`, jobs being [{ name, html, png }].
// One browser and one tab for every document; a phone's viewport, 375x812 CSS px at device
// scale 2. The browser is Debian's Chromium (HANDHELD_CHROMIUM overrides /usr/bin/chromium).
// It runs in a process of its own: puppeteer wants Node's globals, the jest tests run in jsdom.
const fs = require('fs')
const puppeteer = require('puppeteer-core')

const VIEWPORT = { width: 375, height: 812, deviceScaleFactor: 2 }

// Runs in the page. What a person would see as broken: the page wider than the phone (it would
// scroll sideways), an element reaching past the right edge, and text cut off by a box that
// hides its overflow (an element with overflow hidden/clip whose content is wider or taller
// than the box; text-overflow: ellipsis hides the same way), and interactive elements out of
// reading order (below). Boxes that scroll (overflow auto
// or scroll: the vertical Mongolian `.prose`, a scroll-view) show the rest when scrolled and are
// not cut. `allowed` lists the selectors where a page means to cut a title with an ellipsis.
function check(allowed) {
  const width = window.innerWidth
  const out = []
  const label = (el) => {
    const cls = (el.getAttribute('class') || '').trim().replace(/\s+/g, '.')
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 24)
    return `${el.tagName.toLowerCase()}${cls ? `.${cls}` : ''} "${text}"`
  }
  const scrolls = (v) => v === 'auto' || v === 'scroll'
  const clips = (v) => v === 'hidden' || v === 'clip'
  const inScroller = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      if (scrolls(getComputedStyle(e).overflowX)) return true
    }
    return false
  }
  const page = document.documentElement.scrollWidth
  if (page > width) out.push(`the page is ${page}px wide, the phone ${width}px: it scrolls sideways`)
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el)
    if (style.display === 'none' || style.visibility === 'hidden') continue
    const box = el.getBoundingClientRect()
    if (box.width === 0 && box.height === 0) continue
    if (box.right > width + 0.5 && !inScroller(el)) out.push(`${label(el)}: right edge at ${Math.round(box.right)}px > ${width}px`)
    if (!(el.textContent || '').trim()) continue
    if (allowed.some((selector) => el.matches(selector))) continue
    const wide = el.scrollWidth > el.clientWidth + 1
    const tall = el.scrollHeight > el.clientHeight + 1
    if ((clips(style.overflowX) || style.textOverflow === 'ellipsis') && wide) {
      out.push(`${label(el)}: text cut, ${el.scrollWidth}px of content in ${el.clientWidth}px`)
    } else if (clips(style.overflowY) && tall) {
      out.push(`${label(el)}: text cut, ${el.scrollHeight}px of content in ${el.clientHeight}px high`)
    }
  }
  // Focus order: WeChat's screen reader moves through the interactive elements (those with an
  // aria-role) in the tree's order; a person sees them top to bottom, left to right in a row.
  // An element the reader reaches after another but drawn wholly above it, or left of it in
  // the same row, would be read out of order.
  const focusable = Array.from(document.body.querySelectorAll('[aria-role]')).filter((el) => {
    const box = el.getBoundingClientRect()
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden' && !inScroller(el)
  })
  for (let i = 1; i < focusable.length; i += 1) {
    const before = focusable[i - 1].getBoundingClientRect()
    const after = focusable[i].getBoundingClientRect()
    const above = after.bottom <= before.top + 0.5
    const sameRow = after.top < before.bottom - 0.5 && after.bottom > before.top + 0.5
    if (above || (sameRow && after.right <= before.left + 0.5)) {
      out.push(`${label(focusable[i])}: reached after ${label(focusable[i - 1])} but drawn ${above ? 'above' : 'left of'} it`)
    }
  }
  return { problems: out, text: (document.body.innerText || '').trim().length, focusable: focusable.length }
}

async function main() {
  const [jobsFile, resultsFile] = process.argv.slice(2)
  const { jobs, allowed } = JSON.parse(fs.readFileSync(jobsFile, 'utf8'))
  const browser = await puppeteer.launch({
    executablePath: process.env.HANDHELD_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // --no-sandbox: CI and containers run as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none', '--hide-scrollbars'],
  })
  const results = {}
  try {
    const tab = await browser.newPage()
    await tab.setViewport(VIEWPORT)
    for (const job of jobs) {
      await tab.setContent(fs.readFileSync(job.html, 'utf8'), { waitUntil: 'load' })
      await tab.evaluate(() => document.fonts.ready)
      await tab.screenshot({ path: job.png, fullPage: true })
      results[job.name] = await tab.evaluate(check, allowed || [])
    }
  } finally {
    await browser.close()
  }
  fs.writeFileSync(resultsFile, JSON.stringify(results, null, 1))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
