// 我的 (tab): who I am (real name, phone — masked as the backend sends them), binding the
// phone number WeChat vouches for (getPhoneNumber → POST /api/v1/auth/wechat/phone), and
// every personal page in one list.
const api = require('../../utils/api')
const nav = require('../../utils/nav')
const session = require('../../utils/session')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

const ENTRIES = [
  ['declarations', '/pages/declarations/index'],
  ['toPay', '/pages/pay/index'],
  ['wallet', '/pages/wallet/index'],
  ['materials', '/pages/materials/index'],
  ['consents', '/pages/consents/index'],
  ['appointments', '/pages/appointments/index'],
  ['hotline', '/pages/hotline-tickets/index'],
  ['departmentServices', '/pages/dept-services/index'],
  ['settings', '/pages/settings/index'],
]

function profileView(citizen) {
  if (!citizen) return null
  return {
    name: citizen.realNameBound ? t('mine.realName', { name: citizen.name || '' }) : t('mine.notBound'),
    idNumber: citizen.idNumber ? t('mine.idNumber', { number: citizen.idNumber }) : '',
    phone: citizen.phone ? t('mine.phone', { phone: citizen.phone }) : '',
    bound: Boolean(citizen.realNameBound),
    hasPhone: Boolean(citizen.phone),
  }
}

Component({
  behaviors: [page(['mine'])],
  data: { signedIn: false, profile: null, entries: [], busy: false, error: '' },
  methods: {
    onLoad() {
      this.setData({ entries: ENTRIES.map(([key, url]) => ({ key, url, label: t(`mine.${key}`) })) })
      return this.load()
    },
    onShow() {
      nav.applyTabTexts()
      if (this.loaded) this.load()
    },
    async load() {
      const current = session.get()
      this.setData({ signedIn: Boolean(current), profile: profileView(current && current.citizen) })
      this.loaded = true
      if (!current) return
      try {
        this.setData({ profile: profileView(await api.me()), error: '' })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    login() {
      nav.open('/pages/login/index')
    },
    // <button open-type="getPhoneNumber">: the code is WeChat's, spent once by the backend.
    async onPhone(e) {
      const code = e.detail && e.detail.code
      if (!code) {
        this.toast(t('mine.phoneDenied'))
        return false
      }
      this.setData({ busy: true, error: '' })
      try {
        this.setData({ profile: profileView(await api.bindPhone(code)) })
        this.toast(t('mine.phoneBound'))
        return true
      } catch (err) {
        this.setData({ error: err.message })
        return false
      } finally {
        this.setData({ busy: false })
      }
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
  },
})
