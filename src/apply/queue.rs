//! The dependency queue: which steps may start now, given what has finished or failed. Pure.

/// The state of one step in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Waiting,
    Running,
    Succeeded,
    Failed,
    /// Not run because a step it depends on failed (or the run was interrupted).
    Skipped,
}

/// Tracks steps and their `after` edges; a step is ready when everything it waits for succeeded.
#[derive(Debug, Clone)]
pub struct Queue {
    states: Vec<StepState>,
    unfinished_dependencies: Vec<usize>,
    dependents: Vec<Vec<usize>>,
}

impl Queue {
    /// `after[i]` lists the steps that must succeed before step `i` starts.
    pub fn new(after: &[Vec<usize>]) -> Queue {
        let mut dependents = vec![Vec::new(); after.len()];
        for (step, dependencies) in after.iter().enumerate() {
            for dependency in dependencies {
                dependents[*dependency].push(step);
            }
        }
        Queue {
            states: vec![StepState::Waiting; after.len()],
            unfinished_dependencies: after.iter().map(Vec::len).collect(),
            dependents,
        }
    }

    /// Every waiting step whose dependencies all succeeded; they become running.
    pub fn take_ready(&mut self) -> Vec<usize> {
        let ready: Vec<usize> = (0..self.states.len())
            .filter(|step| self.states[*step] == StepState::Waiting && self.unfinished_dependencies[*step] == 0)
            .collect();
        for step in &ready {
            self.states[*step] = StepState::Running;
        }
        ready
    }

    pub fn succeed(&mut self, step: usize) {
        self.states[step] = StepState::Succeeded;
        for dependent in self.dependents[step].clone() {
            self.unfinished_dependencies[dependent] -= 1;
        }
    }

    /// Marks `step` failed and every step that (transitively) waits for it skipped; returns those.
    pub fn fail(&mut self, step: usize) -> Vec<usize> {
        self.states[step] = StepState::Failed;
        let mut skipped = Vec::new();
        let mut stack = self.dependents[step].clone();
        while let Some(dependent) = stack.pop() {
            if self.states[dependent] == StepState::Waiting {
                self.states[dependent] = StepState::Skipped;
                skipped.push(dependent);
                stack.extend(self.dependents[dependent].iter().copied());
            }
        }
        skipped.sort_unstable();
        skipped
    }

    /// Marks every waiting step skipped (on interruption); returns them.
    pub fn skip_waiting(&mut self) -> Vec<usize> {
        let waiting: Vec<usize> =
            (0..self.states.len()).filter(|step| self.states[*step] == StepState::Waiting).collect();
        for step in &waiting {
            self.states[*step] = StepState::Skipped;
        }
        waiting
    }

    pub fn running(&self) -> usize {
        self.states.iter().filter(|state| **state == StepState::Running).count()
    }

    /// True when no step is waiting or running.
    pub fn is_finished(&self) -> bool {
        self.states.iter().all(|state| !matches!(state, StepState::Waiting | StepState::Running))
    }

    pub fn state(&self, step: usize) -> StepState {
        self.states[step]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn independent_steps_start_together_and_dependents_follow() {
        // 0 and 1 are independent; 2 needs both; 3 needs 2.
        let mut queue = Queue::new(&[vec![], vec![], vec![0, 1], vec![2]]);
        assert_eq!(queue.take_ready(), vec![0, 1]);
        assert_eq!(queue.take_ready(), Vec::<usize>::new());
        queue.succeed(0);
        assert_eq!(queue.take_ready(), Vec::<usize>::new());
        queue.succeed(1);
        assert_eq!(queue.take_ready(), vec![2]);
        queue.succeed(2);
        assert_eq!(queue.take_ready(), vec![3]);
        queue.succeed(3);
        assert!(queue.is_finished());
    }

    #[test]
    fn a_failure_skips_its_dependents_only() {
        let mut queue = Queue::new(&[vec![], vec![], vec![0], vec![2], vec![1]]);
        assert_eq!(queue.take_ready(), vec![0, 1]);
        assert_eq!(queue.fail(0), vec![2, 3]);
        queue.succeed(1);
        assert_eq!(queue.take_ready(), vec![4]);
        queue.succeed(4);
        assert!(queue.is_finished());
        assert_eq!(queue.state(3), StepState::Skipped);
        assert_eq!(queue.state(4), StepState::Succeeded);
    }

    #[test]
    fn interruption_skips_what_has_not_started() {
        let mut queue = Queue::new(&[vec![], vec![0]]);
        assert_eq!(queue.take_ready(), vec![0]);
        assert_eq!(queue.skip_waiting(), vec![1]);
        assert_eq!(queue.running(), 1);
        queue.succeed(0);
        assert!(queue.is_finished());
    }
}
