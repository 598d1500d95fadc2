/* Local APIC registers and IPIs (kernel/arch/apic.h). */
#include "kernel/arch/apic.h"
#include "kernel/base/panic.h"
#include "kernel/base/x86.h"
#include <stddef.h>

#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3E0
#define LVT_MASKED 0x10000
#define LVT_PERIODIC 0x20000
#define TIMER_DIV_16 0x3
#define SVR_ENABLE 0x100
#define ICR_FIXED 0x000
#define ICR_NMI 0x400
#define ICR_INIT 0x500
#define ICR_STARTUP 0x600
#define ICR_PENDING 0x1000          /* delivery status: send pending */
#define ICR_ASSERT 0x4000
#define ICR_LEVEL 0x8000
#define ICR_ALL_BUT_SELF 0xC0000
#define ICR_SPIN_LIMIT 10000000u

static volatile uint32_t *regs;

static inline uint32_t rd(uint32_t reg)
{
    return regs[reg / 4];
}

static inline void wr(uint32_t reg, uint32_t v)
{
    regs[reg / 4] = v;
}

uint8_t apic_cpuid_id(void)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    return (uint8_t)(b >> 24);
}

void apic_init(uint32_t regs_va)
{
    regs = (volatile uint32_t *)regs_va;
}

bool apic_present(void)
{
    return regs != NULL;
}

void apic_enable_here(void)
{
    ASSERT(regs != NULL);
    wr(LAPIC_TPR, 0);
    wr(LAPIC_SVR, SVR_ENABLE | T_APIC_SPURIOUS);
}

uint8_t apic_read_id(void)
{
    return (uint8_t)(rd(LAPIC_ID) >> 24);
}

void apic_eoi(void)
{
    wr(LAPIC_EOI, 0);
}

/* Writes the ICR (high half first: the low write sends) and waits for the
 * APIC to accept it.  Interrupts off, so no IPI of ours interleaves. */
static void icr_send(uint8_t dest, uint32_t low)
{
    ASSERT(regs != NULL);
    uint32_t flags = irq_save();
    wr(LAPIC_ICR_HI, (uint32_t)dest << 24);
    wr(LAPIC_ICR_LO, low);
    uint32_t spins = 0;
    while (rd(LAPIC_ICR_LO) & ICR_PENDING)
        ASSERTF(++spins < ICR_SPIN_LIMIT, "IPI %05x to APIC %u never left", low, dest);
    irq_restore(flags);
}

void apic_send_ipi(uint8_t dest, uint8_t vector)
{
    icr_send(dest, ICR_FIXED | ICR_ASSERT | vector);
}

void apic_send_nmi_others(void)
{
    if (regs == NULL)
        return;
    wr(LAPIC_ICR_HI, 0);
    wr(LAPIC_ICR_LO, ICR_ALL_BUT_SELF | ICR_NMI | ICR_ASSERT);
}

void apic_send_init(uint8_t dest)
{
    icr_send(dest, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
}

void apic_send_sipi(uint8_t dest, uint8_t page)
{
    icr_send(dest, ICR_STARTUP | ICR_ASSERT | page);
}

/* ---- the timer (SDM 11.5.4): divide by 16, one-shot or periodic ---- */

void apic_timer_oneshot_masked(uint32_t count)
{
    ASSERT(regs != NULL);
    wr(LAPIC_TIMER_DIV, TIMER_DIV_16);
    wr(LAPIC_LVT_TIMER, LVT_MASKED | T_APIC_TIMER);
    wr(LAPIC_TIMER_INIT, count);
}

uint32_t apic_timer_current(void)
{
    return rd(LAPIC_TIMER_CUR);
}

void apic_timer_periodic(uint32_t count)
{
    ASSERT(regs != NULL && count != 0);
    wr(LAPIC_TIMER_DIV, TIMER_DIV_16);
    wr(LAPIC_LVT_TIMER, LVT_PERIODIC | T_APIC_TIMER);
    wr(LAPIC_TIMER_INIT, count);
}
