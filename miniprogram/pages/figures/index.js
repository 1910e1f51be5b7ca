// 办事数据: the province's monthly service figures (public, no sign-in), newest month first,
// each with its applications, completions, online handling rate, satisfaction and average
// working days; a bar per month shows applications against the busiest month.
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

function percent(rate) {
  return rate === null || rate === undefined ? t('figures.none') : `${(rate * 100).toFixed(1)}%`
}

function days(value) {
  return value === null || value === undefined ? t('figures.none') : t('figures.days', { days: value })
}

Component({
  behaviors: [page(['figures'])],
  data: { months: [], latest: null, error: '', loading: true },
  methods: {
    async onLoad() {
      try {
        const answer = await api.publicFigures()
        const months = (answer.months || []).slice().reverse()
        const busiest = Math.max(1, ...months.map((m) => m.applications))
        const shown = months.map((m) => ({
          month: m.month,
          title: t('figures.month', { year: m.month.slice(0, 4), month: Number(m.month.slice(5, 7)) }),
          applications: t('figures.applications', { count: m.applications }),
          completed: t('figures.completed', { count: m.completed }),
          online: t('figures.online', { rate: percent(m.onlineRate) }),
          satisfaction: t('figures.satisfaction', { rate: percent(m.satisfaction) }),
          time: t('figures.time', { days: days(m.averageCompletionDays) }),
          bar: Math.round((m.applications / busiest) * 100),
        }))
        this.setData({ months: shown, latest: shown[0] || null, error: '', loading: false })
      } catch (e) {
        this.setData({ error: e.message, loading: false })
      }
    },
  },
})
